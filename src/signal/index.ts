// Signals: sets by name, the calling thread's mask and pending signals, signalfd, rt_sigtimedwait, the alternate stack
// (read), and sigaction (read; set the default action or ignore), one topic a file, re-exported here.
//
// Under Node every mask here is the calling thread's (the JS thread), and a signal sent to the whole process goes to
// any of Node's threads that does not block it: see sigprocmask (mask.ts) for what that means and what was measured.
export { SigSet, signalName, signalNumber, type SignalLike, type SignalList } from './sigset.ts';
export * from './mask.ts';
export * from './signalfd.ts';
export { rt_sigtimedwait, type SigInfo, type SiginfoLayout, type SigwaitTimeout } from './wait.ts';
export * from './altstack.ts';
export { sigaction, SigAction, type SigActionLike, type Disposition } from './action.ts';
