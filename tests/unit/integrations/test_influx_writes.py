"""Reading which lines a 400 partial write refused (integrations.influxdb.writes)."""

from __future__ import annotations

from integrations.influxdb.writes import FailedLine, WriteResult, is_point_refusal, parse_partial_write

LINES = ["cpu,host=b v=1 1", "bad line here", "cpu,host=b v=3 3", "cpu,host=b v= 2"]


def test_unparsable_lines_are_mapped_to_indices() -> None:
    # verbatim influxd 1.6.7 answer
    error = (
        "partial write: unable to parse 'bad line here': invalid field format\n"
        "unable to parse 'cpu,host=b v= 2': missing field value dropped=0"
    )
    partial = parse_partial_write(error, LINES)
    assert partial is not None
    assert partial.dropped == 0
    assert partial.unparsable == (
        FailedLine(1, "bad line here", "invalid field format"),
        FailedLine(3, "cpu,host=b v= 2", "missing field value"),
    )


def test_type_conflict_gives_only_a_count() -> None:
    error = (
        'partial write: field type conflict: input field "v" on measurement "cpu" is type string, '
        "already exists as type float dropped=2"
    )
    partial = parse_partial_write(error, LINES)
    assert partial is not None
    assert (partial.unparsable, partial.dropped) == ((), 2)
    assert partial.message.startswith("field type conflict: input field")


def test_all_lines_unparsable_has_no_prefix() -> None:
    partial = parse_partial_write("unable to parse 'x': missing fields", ["x"])
    assert partial is not None
    assert partial.unparsable == (FailedLine(0, "x", "missing fields"),)


def test_duplicate_bad_lines_are_all_reported() -> None:
    partial = parse_partial_write(
        "partial write: unable to parse 'x y': bad dropped=0", ["x y", "m v=1 1", "x y"]
    )
    assert partial is not None
    assert [f.index for f in partial.unparsable] == [0, 2]


def test_other_errors_are_not_partial_writes() -> None:
    assert parse_partial_write('database not found: "nope"', LINES) is None
    assert parse_partial_write("field type conflict", LINES) is None


def test_point_refusals() -> None:
    assert is_point_refusal("field type conflict")
    assert is_point_refusal("partial write: points beyond retention policy dropped=2")
    assert not is_point_refusal('database not found: "nope"')


def test_write_result_ok() -> None:
    assert WriteResult(written=3).ok
    assert not WriteResult(written=2, unattributed=1).ok
    assert not WriteResult(written=2, failed=(FailedLine(0, "x", "bad"),)).ok
