#!/bin/sh
# The harness's cgroup tracer (see trace.ts), run as `unshare --mount --propagation private sh cgroup-trace.sh NAME`:
# in a mount namespace of its own, so that mounting tracefs leaves the harness's mount table alone.
#
# Makes the ftrace instance NAME, prints "marker <trace_marker>" and waits for the harness to write "tsyscall-harness
# NAME" there: the line in the trace names the harness by its pid in the initial pid namespace, which is how ftrace
# filters (the harness may run in a pid namespace of its own and not know that pid). Then traces cgroup changes and
# forks of that pid and all it forks from then on (set_event_pid with event-fork), prints "ready <pid>" and the trace
# lines as they come. When its stdin closes (the harness is done, or died), it removes the instance.
#
# Prints "unavailable: why" and exits when the kernel cannot do this.
set -u
name=$1
T=/sys/kernel/tracing
[ -d $T/instances ] || mount -t tracefs tracefs $T 2>/dev/null || { echo "unavailable: cannot mount tracefs"; exit 0; }
# instances that harness runs killed with SIGKILL left: unused for 10 minutes (one in use has trace_pipe open, and
# rmdir refuses it with EBUSY; the age spares one whose harness has not opened it yet)
for old in $T/instances/tsyscall-harness-*; do
  [ -d "$old" ] && [ $(($(date +%s) - $(stat -c %Y "$old"))) -gt 600 ] && rmdir "$old" 2>/dev/null
done
I=$T/instances/$name
mkdir $I 2>/dev/null || { echo "unavailable: cannot make a tracing instance"; exit 0; }
for f in options/event-fork set_event_pid trace_marker events/cgroup/cgroup_mkdir events/sched/sched_process_fork; do
  [ -e $I/$f ] || { rmdir $I; echo "unavailable: the kernel has no $f in tracefs"; exit 0; }
done

echo "marker $I/trace_marker"
pid=
i=0
while [ -z "$pid" ] && [ $i -lt 500 ]; do
  pid=$(sed -n "s/^.*-\([0-9][0-9]*\) *\[[0-9]*\].* tracing_mark_write: tsyscall-harness $name\$/\1/p" $I/trace)
  [ -n "$pid" ] || { sleep 0.01; i=$((i + 1)); }
done
[ -n "$pid" ] || { rmdir $I; echo "unavailable: the harness's marker never showed in the trace"; exit 0; }

echo 1 > $I/options/event-fork
echo "$pid" > $I/set_event_pid
echo > $I/trace
for e in cgroup_mkdir cgroup_rmdir cgroup_rename cgroup_attach_task cgroup_transfer_tasks cgroup_setup_root \
  cgroup_destroy_root cgroup_remount; do
  [ -e $I/events/cgroup/$e/enable ] && echo 1 > $I/events/cgroup/$e/enable
done
echo 1 > $I/events/sched/sched_process_fork/enable

# the reader dies with this shell (setpriv --pdeathsig), so that nothing keeps the instance if the shell is killed
if setpriv --pdeathsig TERM true 2>/dev/null; then setpriv --pdeathsig TERM cat $I/trace_pipe & else cat $I/trace_pipe & fi
reader=$!
finish() {
  kill $reader 2>/dev/null
  wait $reader 2>/dev/null
  echo 0 > $I/tracing_on
  rmdir $I
  exit 0
}
trap finish TERM INT HUP
echo "ready $pid"
while read -r _; do :; done
finish
