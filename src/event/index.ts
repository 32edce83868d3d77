// Events and readiness: eventfd counters, timerfd timers, epoll, poll and ppoll, inotify watches, one topic a file,
// re-exported here. The calls that wait (epoll_wait and poll with a timeout other than 0, ppoll, reads of an empty
// eventfd, timerfd or inotify descriptor without 'nonblock') block the calling thread, and only because the caller
// asked for it; Promise variants come later.
export * from './eventfd.ts';
export * from './timerfd.ts';
export * from './epoll.ts';
export * from './poll.ts';
export * from './inotify.ts';
export type { SignalList } from './common.ts';
