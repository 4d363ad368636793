"""The key ring: sealing bound to a context, keys from the environment, several keys at once."""

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured

from agencies import keyring
from agencies.keyring import BrokenSeal, MissingKey, open_sealed, parse_keys, seal

KEY_A = base64.b64encode(b"\x0a" * 32).decode()
KEY_B = base64.b64encode(b"\x0b" * 32).decode()


def test_a_sealed_value_opens_only_in_its_own_context(settings):
    settings.ENCRYPTION_KEYS = f"a:{KEY_A}"
    token = seal(b"Sokha Chan", context=b"referrals.Subject.given_name")
    assert b"Sokha" not in token
    assert token != seal(b"Sokha Chan", context=b"referrals.Subject.given_name")  # fresh nonce
    assert open_sealed(token, context=b"referrals.Subject.given_name") == b"Sokha Chan"
    with pytest.raises(BrokenSeal):
        open_sealed(token, context=b"referrals.Subject.family_name")


def test_an_altered_token_never_opens(settings):
    settings.ENCRYPTION_KEYS = f"a:{KEY_A}"
    token = bytearray(seal(b"value", context=b"c"))
    token[-1] ^= 1
    with pytest.raises(BrokenSeal):
        open_sealed(bytes(token), context=b"c")


def test_the_first_key_seals_and_the_others_still_open(settings):
    settings.ENCRYPTION_KEYS = f"a:{KEY_A}"
    old = seal(b"value", context=b"c")
    settings.ENCRYPTION_KEYS = f"b:{KEY_B},a:{KEY_A}"
    assert keyring.key_id_of(seal(b"value", context=b"c")) == "b"
    assert open_sealed(old, context=b"c") == b"value"
    assert keyring.key_id_of(keyring.reseal(old, context=b"c")) == "b"
    settings.ENCRYPTION_KEYS = f"b:{KEY_B}"
    with pytest.raises(MissingKey) as missing:
        open_sealed(old, context=b"c")
    assert missing.value.key_id == "a"
    assert missing.value.status_code == 503


def test_wrapped_data_keys_unwrap_only_for_their_file(settings):
    settings.ENCRYPTION_KEYS = f"a:{KEY_A}"
    data_key = keyring.new_data_key()
    wrapped = keyring.wrap_key(data_key, context=b"document 1")
    assert keyring.unwrap_key(wrapped, context=b"document 1") == data_key
    with pytest.raises(BrokenSeal):
        keyring.unwrap_key(wrapped, context=b"document 2")


@pytest.mark.parametrize(
    "spec",
    [
        "a:" + base64.b64encode(b"short").decode(),
        "a:not base64!",
        f"a:{KEY_A},a:{KEY_B}",
        f"bad id:{KEY_A}",
    ],
)
def test_bad_key_configuration_is_refused_at_start(spec):
    with pytest.raises(ImproperlyConfigured):
        parse_keys(spec)


def test_without_configured_keys_one_is_derived_from_the_secret_key(settings):
    settings.ENCRYPTION_KEYS = ""
    assert keyring.keyring().active_id == keyring.DERIVED_KEY_ID
    assert open_sealed(seal(b"v", context=b"c"), context=b"c") == b"v"
