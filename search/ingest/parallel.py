"""Whoosh's multiprocessing writer, counting what its processes analysed, leaving no orphans."""

import ctypes
import multiprocessing
import os
import signal
import threading

from whoosh.multiproc import MpWriter, SubWriterTask

PR_SET_PDEATHSIG = 1
BATCH = 50  # documents handed to a process at a time: the grain of the progress count


def _die_with_parent(parent: int) -> None:
    # A writer process forked while the index lock was held inherits the lock; if the reindex
    # is killed, such an orphan would hold it (and wait for work) forever. Linux only.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


class _Task(SubWriterTask):
    """A writer process that dies with its parent and counts the documents it analysed."""

    def __init__(self, *args, counter, parent: int):
        super().__init__(*args)
        self.counter, self.parent = counter, parent

    def run(self):
        _die_with_parent(self.parent)
        super().run()

    def _process_file(self, filename, doc_count):
        super()._process_file(filename, doc_count)
        with self.counter.get_lock():
            self.counter.value += doc_count


class CountingWriter(MpWriter):
    """Documents analysed in procs processes, each writing its own segment.

    The parent hands documents over in batches and is done long before they are analysed:
    `analysed` counts what the processes have finished, for progress.
    """

    def __init__(self, ix, procs: int, **kwargs):
        super().__init__(ix, procs=procs, batchsize=BATCH, multisegment=True, **kwargs)
        self.analysed = multiprocessing.Value("q", 0)

    def _new_task(self):
        task = _Task(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                     self.subargs, self.multisegment, counter=self.analysed,
                     parent=os.getpid())
        self.tasks.append(task)
        task.start()
        return task


def commit_reporting(writer, tick, every: float = 0.5) -> None:
    """Commit, calling tick every so often meanwhile (a parallel commit waits for analysis)."""
    done = threading.Event()

    def beat():
        while not done.wait(every):
            tick()

    beater = threading.Thread(target=beat, daemon=True)
    beater.start()
    try:
        writer.commit()
    finally:
        done.set()
        beater.join()
