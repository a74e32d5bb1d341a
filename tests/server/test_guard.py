"""The admin password guard's rules, decided without sockets or clocks."""

from server.guard import MAX_LOCK, PasswordGuard


def guard(**kwargs):
    return PasswordGuard(**{"failures": 5, "window": 60.0, "ceiling": 30,
                            "local": frozenset({"127.0.0.1"}), **kwargs})


def test_five_wrong_from_an_address_lock_it_and_each_new_lock_lasts_twice_as_long():
    g = guard()
    for n in range(4):
        assert g.failed("10.0.0.9", "eve", 10.0 + n).locked_for == 0
    assert g.failed("10.0.0.9", "eve", 14.0).locked_for == 60
    assert g.locked("10.0.0.9", "eve", 15.0) == 59
    assert g.locked("10.0.0.9", "eve", 74.0) == 0          # the minute is over
    for n in range(5):
        verdict = g.failed("10.0.0.9", "eve", 80.0 + n)
    assert verdict.locked_for == 120
    t = 1000.0
    for _ in range(10):
        for n in range(5):
            verdict = g.failed("10.0.0.9", "eve", t + n)
        t += MAX_LOCK + 10
    assert verdict.locked_for == MAX_LOCK


def test_a_nick_that_never_guessed_from_a_locked_address_still_gets_in():
    g = guard()
    for n in range(5):
        g.failed("10.0.0.9", "eve", 10.0 + n)
    assert g.locked("10.0.0.9", "eve", 20.0) > 0
    assert g.locked("10.0.0.9", "mrs.lee", 20.0) == 0


def test_the_server_wide_ceiling_stops_rotating_addresses_but_not_this_machine():
    g = guard()
    for n in range(30):                                   # one guess from each of 30 machines
        g.failed(f"10.0.1.{n}", f"guess{n}", 100.0 + n * 0.1)
    assert g.locked("10.0.2.1", "anyone", 104.0) > 0       # a fresh address must wait
    assert g.locked("127.0.0.1", "teacher", 104.0) == 0    # the server's own keyboard need not
    assert g.locked("10.0.2.1", "anyone", 161.0) == 0      # the minute is over


def test_the_first_guess_of_a_burst_and_the_ceiling_are_reported_once():
    g = guard(ceiling=3)
    assert g.failed("10.0.0.1", "a", 1.0).first_of_burst
    assert not g.failed("10.0.0.1", "a", 2.0).first_of_burst
    assert g.failed("10.0.0.2", "b", 3.0).ceiling_reached
    assert not g.failed("10.0.0.3", "c", 4.0).ceiling_reached


def test_addresses_are_forgotten_an_hour_after_their_last_failure():
    g = guard()
    for n in range(1000):
        g.failed(f"10.{n // 250}.{n % 250}.1", "x", float(n))
    assert g.tracked == 1000
    g.failed("10.9.9.9", "x", 5000.0)
    assert g.tracked == 1
