"""normalise_phone: every way Indonesians write a number ends as one E.164 string, or a 406."""
from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from chalicelib.core.errors import ApiError
from chalicelib.core.phone_numbers import INVALID_COUNTRY_CODE, MAX_INPUT_LEN, normalise_phone


def refused(value: object, field: str = "phone", **kwargs) -> ApiError:
    with pytest.raises(ApiError) as info:
        normalise_phone(value, field, **kwargs)
    error = info.value
    assert (error.code, error.status, error.field) == (39, 406, field)
    assert field in error.message or error.message == INVALID_COUNTRY_CODE
    return error


@pytest.mark.parametrize("written", [
    "081234567890", "6281234567890", "+6281234567890",
    "0812-3456-7890", "0812 3456 7890", "(0812) 3456-7890", "0812.3456.7890",
    "+62 812-3456-7890", "+62 (812) 3456 7890", "62 812 3456 7890", "  +6281234567890\t",
    "+62081234567890",  # the trunk 0 kept after +62: a common slip that phonenumbers repairs
])
def test_indonesian_forms_mean_the_same_number(written: str) -> None:
    assert normalise_phone(written, "phone") == "+6281234567890"


def test_landline_and_foreign_numbers() -> None:
    assert normalise_phone("(021) 555-1234", "phone") == "+62215551234"
    assert normalise_phone("+65 9123 4567", "phone") == "+6591234567"
    assert normalise_phone("+1 650-253-0000", "phone") == "+16502530000"
    # Invalid as a national Indonesian number, valid once read as international.
    assert normalise_phone("60123456789", "phone") == "+60123456789"


@pytest.mark.parametrize("written", ["89694353628", "81234567890", "8123-4567-890", "6591234567"])
def test_a_number_without_its_country_code_or_0_is_oca_invalid_country_code(written: str) -> None:
    # OCA's own example (89694353628): a national number missing its 0 is not read as +62, nor as
    # whichever country its first digits name (+81 is Japan, +65 Singapore): the client must say.
    assert refused(written).message == INVALID_COUNTRY_CODE


def test_a_number_with_a_country_code_and_no_plus_is_international() -> None:
    assert normalise_phone("60123456789", "phone") == "+60123456789"
    assert normalise_phone("16502530000", "phone") == "+16502530000"
    assert normalise_phone("6289694353628", "phone") == "+6289694353628"


def test_default_region() -> None:
    assert normalise_phone("0412 345 678", "to", default_region="AU") == "+61412345678"


def test_62_prefix_is_only_read_as_international() -> None:
    # As a national number it would be a valid but different line (+6262...); refuse instead.
    refused("621234567")


def test_length_limit_is_on_the_stripped_text() -> None:
    core = "+62 812 3456 7890"
    at_limit = core.replace(" ", "-" * 5, 1) + "-" * (MAX_INPUT_LEN - len(core) - 4)
    assert len(at_limit) == MAX_INPUT_LEN
    assert normalise_phone(at_limit, "phone") == "+6281234567890"
    assert normalise_phone("   " + at_limit + "   ", "phone") == "+6281234567890"
    error = refused(at_limit + "-")
    assert str(MAX_INPUT_LEN) in error.message


@pytest.mark.parametrize("value", [None, 6281234567890, 62.8, ["0812"], b"081234567890"])
def test_refuses_non_strings(value: object) -> None:
    assert "string" in refused(value).message


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_refuses_empty(value: str) -> None:
    assert "required" in refused(value).message


@pytest.mark.parametrize("value", ["0812-ABC-7890", "+62 812 3456 7890 ext 12", "1-800-FLOWERS", "0812３4567890x"])
def test_refuses_letters(value: str) -> None:
    assert "letters" in refused(value, field="recipient_number").message


@pytest.mark.parametrize("value", [
    "0812+34567890", "++6281234567890", "0812/3456/7890", "٠٨١٢٣٤٥٦٧٨٩٠", "0812_3456",
])
def test_refuses_other_characters(value: str) -> None:
    refused(value)


@pytest.mark.parametrize("value", ["0812", "+62812", "+6299999", "0000000000", "---", "()", "+"])
def test_refuses_invalid_numbers(value: str) -> None:
    refused(value)


def test_refusal_names_the_field() -> None:
    refused("nope", field="to_number")


# A valid Indonesian mobile national number: 8[1-35-9] then 7 to 10 digits (libphonenumber's rule).
mobile_numbers = st.builds(
    lambda second, rest: "8" + second + rest,
    st.sampled_from("12356789"),
    st.text("0123456789", min_size=7, max_size=10),
)


@given(
    national=mobile_numbers,
    form=st.sampled_from(["0", "62", "+62"]),
    separators=st.lists(st.sampled_from(["", "", "", " ", "-", ".", "(", ")"]), min_size=16, max_size=16),
    pad=st.sampled_from(["", " ", "\t"]),
)
def test_any_written_form_of_a_mobile_normalises_the_same(national: str, form: str, separators: list[str],
                                                          pad: str) -> None:
    import phonenumbers

    assume(phonenumbers.is_valid_number(phonenumbers.parse("+62" + national)))
    digits = form.lstrip("+") + national
    written = ("+" if form.startswith("+") else "") + "".join(d + s for d, s in zip(digits, separators))
    written = pad + written + pad
    assume(len(written.strip()) <= MAX_INPUT_LEN)
    result = normalise_phone(written, "phone")
    assert result == "+62" + national
    assert normalise_phone(result, "phone") == result  # idempotent


@pytest.mark.parametrize("number,operator", [("+6281234567890", "TELKOMSEL"), ("+6285712345678", "INDOSAT OOREDOO"),
                                             ("+6281712345678", "XL"), ("+6289694353628", "TRI"),
                                             ("+6288112345678", "SMARTFREN"), ("+62215551234", None),
                                             ("+60123456789", None)])
def test_operator_cell_from_the_indonesian_prefix(number: str, operator: str | None) -> None:
    from chalicelib.core.phone_numbers import operator_of
    assert operator_of(number) == operator
