"""reconcile.rut: examples from DOMAIN.md, edge cases, hypothesis properties
(its doctests run in test_doctests.py)."""
from __future__ import annotations


import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

from reconcile import rut
from reconcile.rut import DEFINITIVE, INVALID, PROVISIONAL


def reference_dv(body: int) -> str:
    """Mod 11 straight from DOMAIN.md: weights 2..7 from the right; 11 -> 0, 10 -> K."""
    weights = [2, 3, 4, 5, 6, 7]
    total = sum(int(d) * weights[i % 6] for i, d in enumerate(reversed(str(body))))
    value = 11 - total % 11
    return {11: "0", 10: "K"}.get(value, str(value))


@pytest.mark.parametrize("text", [
    "12531909-2", "12667869-K", "76086428-5", "9.876.543-3", "23.456.789-6", "23.511.402-K",
])
def test_domain_examples_are_definitive(text):
    parsed = rut.parse(text)
    assert parsed.kind == DEFINITIVE
    assert parsed.is_valid and parsed.reason is None
    assert rut.is_valid(text)


def test_provisional_and_definitive_examples():
    assert rut.parse("100.234.567-2").kind == PROVISIONAL
    assert rut.parse("25.123.456-6").kind == DEFINITIVE
    assert rut.parse("100.234.567-2").is_valid


def test_provisional_threshold_is_a_setting():
    assert rut.parse("25.123.456-6", provisional_min_body=20_000_000).kind == PROVISIONAL
    assert rut.parse("100.234.567-2", provisional_min_body=200_000_000).kind == DEFINITIVE
    # the boundary itself is provisional
    body = 100_000_000
    text = f"{body}-{reference_dv(body)}"
    assert rut.parse(text).kind == PROVISIONAL
    assert rut.parse(f"{body - 1}-{reference_dv(body - 1)}").kind == DEFINITIVE


@pytest.mark.parametrize("text", [
    "12.531.909-2", "12531909-2", "125319092", " 12 531 909 - 2 ", "CL 12.531.909-2",
    "cl12531909-2", "CL-12531909-2", "012531909-2", "0012.531.909-2", "12\u00a0531\u00a0909\u20132",
    "\t12531909-2\n",
])
def test_written_variants(text):
    parsed = rut.parse(text)
    assert parsed.kind == DEFINITIVE
    assert parsed.canonical == "12531909-2"
    assert parsed.raw == text
    assert rut.compact(text) == "125319092"


def test_lower_case_k():
    parsed = rut.parse("12.667.869-k")
    assert (parsed.body, parsed.dv, parsed.kind) == (12667869, "K", DEFINITIVE)
    assert rut.canonical("12667869k") == "12667869-K"


def test_six_and_nine_digit_bodies_accepted_where_stdnum_refuses():
    from stdnum.cl import rut as stdnum_rut
    six = f"123456-{reference_dv(123456)}"
    nine = "100234567-2"
    for text in (six, nine):
        assert not stdnum_rut.is_valid(text)
        assert rut.is_valid(text)
    assert rut.validate(six) == six.replace("-", "")


@pytest.mark.parametrize("text, digits", [("12345-5", 5), ("1-9", 1), ("1234567890-1", 10)])
def test_wrong_length_is_invalid_with_reason(text, digits):
    parsed = rut.parse(text)
    assert parsed.kind == INVALID
    assert f"tiene {digits}" in parsed.reason
    assert "entre 6 y 9" in parsed.reason
    with pytest.raises(InvalidLength):
        rut.validate(text)


def test_wrong_digit_keeps_it_and_says_which():
    parsed = rut.parse("12.531.909-3")
    assert parsed.kind == INVALID
    assert parsed.reason == "dígito verificador incorrecto (debería ser 2)"
    assert parsed.canonical == "12531909-3"
    assert parsed.dv == "3" and parsed.expected_dv == "2"
    assert not rut.is_valid("12531909-3")
    with pytest.raises(InvalidChecksum):
        rut.validate("12531909-3")
    with pytest.raises(InvalidChecksum):
        rut.to_sige("12531909-3")
    # people still see it as written
    assert rut.format("12531909-3") == "12.531.909-3"


@pytest.mark.parametrize("text", [
    "12.5A1.909-2", "12531909-X", "12531909-22", "12-531-909-2", "abc", "12531909-", "-2",
    "12531909.5-2x",
])
def test_unrecognised_format(text):
    parsed = rut.parse(text)
    assert parsed.kind == INVALID
    assert parsed.reason == "formato no reconocido"
    assert parsed.body is None and parsed.dv is None
    assert parsed.canonical == rut.compact(text)
    assert parsed.expected_dv is None
    assert not rut.is_valid(text)
    with pytest.raises(InvalidFormat):
        rut.validate(text)
    with pytest.raises(ValidationError):
        rut.format(text)
    with pytest.raises(ValidationError):
        rut.to_sige(text)


@pytest.mark.parametrize("value", [None, "", "   ", " - ", float("nan")])
def test_empty(value):
    parsed = rut.parse(value)
    assert parsed.kind == INVALID
    assert parsed.reason == "RUT vacío"
    assert parsed.canonical == ""
    assert not rut.is_valid(value)
    with pytest.raises(ValidationError):
        rut.format(value)


def test_excel_numbers():
    assert rut.parse(125319092).canonical == "12531909-2"
    assert rut.parse(125319092.0).canonical == "12531909-2"
    assert rut.parse(25123456.0) == rut.parse("25123456")
    assert rut.parse(25123456.0).canonical == "2512345-6"
    assert rut.parse(12.5).kind == INVALID
    assert rut.parse(True).kind == INVALID


def test_numpy_and_pandas_values():
    np = pytest.importorskip("numpy")
    assert rut.canonical(np.int64(125319092)) == "12531909-2"
    assert rut.canonical(np.float64(125319092.0)) == "12531909-2"
    assert rut.parse(np.float64("nan")).reason == "RUT vacío"


def test_format_and_sige():
    assert rut.format("125319092") == "12.531.909-2"
    assert rut.format("1002345672") == "100.234.567-2"
    assert rut.format("98765433") == "9.876.543-3"
    assert rut.to_sige("012.667.869-k") == ("12667869", "K")
    assert rut.to_sige("100.234.567-2") == ("100234567", "2")


def test_mask_hides_all_but_last_three():
    assert rut.mask("12.531.909-2") == "*****909-2"
    assert rut.mask("9.876.543-3") == "****543-3"
    assert rut.mask("12531909-3") == "*****909-3"
    assert "12531" not in rut.mask("12531909-2")
    masked = rut.mask("no es un rut")
    assert set(masked) == {"*"}


def test_calc_check_digit_rejects_non_digits():
    with pytest.raises(InvalidFormat):
        rut.calc_check_digit("12a4")
    with pytest.raises(InvalidFormat):
        rut.calc_check_digit("")


def test_rut_is_frozen():
    parsed = rut.parse("12531909-2")
    with pytest.raises(AttributeError):
        parsed.body = 1


# --- properties ---------------------------------------------------------------

bodies = st.integers(min_value=100_000, max_value=999_999_999)


@given(bodies)
def test_check_digit_agrees_with_reference(body):
    assert rut.calc_check_digit(body) == reference_dv(body)
    assert rut.calc_check_digit(str(body)) == reference_dv(body)


@given(bodies)
def test_format_round_trips(body):
    text = f"{body}-{reference_dv(body)}"
    formatted = rut.format(text)
    assert rut.canonical(formatted) == text
    assert rut.parse(formatted).is_valid
    assert formatted.replace(".", "") == text


@given(bodies, st.sampled_from("0123456789K"))
def test_any_other_digit_is_invalid(body, dv):
    right = reference_dv(body)
    text = f"{body}-{dv}"
    parsed = rut.parse(text)
    if dv == right:
        assert parsed.is_valid
    else:
        assert parsed.kind == INVALID
        assert parsed.reason == f"dígito verificador incorrecto (debería ser {right})"
        assert parsed.canonical == text
        assert not rut.is_valid(text)


@st.composite
def written(draw):
    """A body and one of the ways people write it."""
    body = draw(bodies)
    dv = reference_dv(body)
    digits = draw(st.sampled_from([str(body), f"{body:,}".replace(",", ".")]))
    digits = draw(st.sampled_from(["", "0", "00"])) + digits
    if draw(st.booleans()):  # stray spaces inside the body
        cut = draw(st.integers(0, len(digits)))
        digits = digits[:cut] + " " + digits[cut:]
    separator = draw(st.sampled_from(["-", "", " - ", " "]))
    letter = dv.lower() if dv == "K" and draw(st.booleans()) else dv
    prefix = draw(st.sampled_from(["", "CL", "CL ", "cl", "CL-"]))
    outer = draw(st.sampled_from(["", " ", "\t"]))
    return body, f"{outer}{prefix}{digits}{separator}{letter}{outer}"


@given(written())
def test_every_written_variant_parses_to_the_same_canonical(case):
    body, text = case
    expected = f"{body}-{reference_dv(body)}"
    parsed = rut.parse(text)
    assert parsed.canonical == expected
    assert parsed.body == body
    assert parsed.kind == (PROVISIONAL if body >= rut.DEFAULT_PROVISIONAL_MIN_BODY else DEFINITIVE)
    assert rut.validate(text) == expected.replace("-", "")
    assert rut.to_sige(text) == (str(body), reference_dv(body))
    assert rut.mask(text).endswith(f"{str(body)[-3:]}-{reference_dv(body)}")
