"""The web's engine lock serves request threads in the order they asked for it."""

import threading
import time

from web.index import FifoLock


def test_waiters_get_the_lock_in_arrival_order():
    lock, order = FifoLock(), []
    lock.__enter__()  # held while the others queue up, one after the other
    threads = []
    for k in range(8):
        t = threading.Thread(target=lambda k=k: (lock.__enter__(), order.append(k),
                                                 lock.__exit__(None, None, None)))
        t.start()
        threads.append(t)
        while lock._next != k + 2:  # k is waiting before k + 1 asks
            time.sleep(0.001)
    lock.__exit__(None, None, None)
    for t in threads:
        t.join(timeout=10)
    assert order == list(range(8))


def test_a_releasing_thread_queues_behind_waiters():
    lock, order = FifoLock(), []
    with lock:
        waiter = threading.Thread(target=lambda: (lock.__enter__(), order.append("waiter"),
                                                  lock.__exit__(None, None, None)))
        waiter.start()
        while lock._next != 2:
            time.sleep(0.001)
    with lock:  # asked again right after releasing: the waiter goes first
        order.append("again")
    waiter.join(timeout=10)
    assert order == ["waiter", "again"]
