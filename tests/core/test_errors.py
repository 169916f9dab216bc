"""Error messages never carry a patient value."""

from __future__ import annotations

from medanon.core.errors import safe_message


def test_safe_message_masks_quoted_values_and_long_numbers():
    message = safe_message(ValueError("Invalid value for VR PN: 'Doe^Jane' (MRN 8891234)"))
    assert "Doe" not in message and "8891234" not in message
    assert message.startswith("ValueError: Invalid value for VR PN")
