import pytest

from integrations.services.prefetch import Prefetched


def test_items_arrive_in_order_then_the_end():
    pages = Prefetched(iter([1, 2, 3]))

    assert list(pages) == [1, 2, 3]
    assert list(pages) == []
    pages.close()


def test_an_error_of_the_source_reaches_the_consumer_after_the_items_before_it():
    def source():
        yield "page 1"
        raise RuntimeError("CRM down")

    pages = Prefetched(source())

    assert next(pages) == "page 1"
    with pytest.raises(RuntimeError, match="CRM down"):
        next(pages)
    pages.close()


def test_close_stops_a_source_the_consumer_abandoned():
    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    pages = Prefetched(endless())
    assert next(pages) == 0

    pages.close()

    assert not pages._thread.is_alive()
    assert len(produced) <= 3  # one handed over, at most one waiting, one being made
