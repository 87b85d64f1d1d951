"""bench/stage_sampler.py: per-second p99 of the bridges' stage histograms, from /metrics texts."""

from bench.stage_sampler import StageSampler, add, p99_between, parse_buckets

TEXT = """# HELP bangban_message_store_seconds x
bangban_message_store_seconds_bucket{le="0.005"} %d
bangban_message_store_seconds_bucket{le="0.05"} %d
bangban_message_store_seconds_bucket{le="+Inf"} %d
bangban_message_store_seconds_count %d
bangban_relay_seconds_bucket{le="0.005"} %d
bangban_relay_seconds_bucket{le="+Inf"} %d
"""


def metrics(store: tuple[int, int, int], relay: tuple[int, int]) -> str:
    return TEXT % (*store, store[2], *relay)


def test_buckets_are_read_and_summed_over_bridges():
    one = parse_buckets(metrics((10, 20, 20), (5, 5)))
    assert one["store"] == {0.005: 10, 0.05: 20, float("inf"): 20} and one["relay"][0.005] == 5
    both = add(one, parse_buckets(metrics((1, 2, 3), (0, 1))))
    assert both["store"][float("inf")] == 23 and both["relay"][float("inf")] == 6


def test_the_p99_is_the_bound_of_the_bucket_that_holds_it():
    before = {0.005: 100, 0.05: 100, float("inf"): 100}
    assert p99_between(before, {0.005: 200, 0.05: 200, float("inf"): 200}) == 5.0  # all fast
    assert p99_between(before, {0.005: 150, 0.05: 200, float("inf"): 200}) == 50.0  # half slow
    assert p99_between(before, before) is None  # nothing in that second


def test_per_second_p99_over_samples():
    sampler = StageSampler([])
    texts = [metrics((0, 0, 0), (0, 0)), metrics((100, 100, 100), (50, 50)), metrics((150, 200, 200), (50, 50))]
    sampler.samples = [(1000.0 + i, parse_buckets(t)) for i, t in enumerate(texts)]
    got = sampler.per_second_p99(1000.0, 2.0)
    assert got == {"store": [5.0, 50.0], "relay": [5.0, None]}
