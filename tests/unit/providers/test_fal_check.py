"""fal options that cannot run are found before payment."""

from __future__ import annotations

import pytest

from studio402.providers._fal_inputs import check_input
from studio402.providers.base import UnsupportedRequestError

SEEDANCE = "bytedance/seedance-2.0"


@pytest.mark.parametrize("values", [{"outputResolution": "1080p"}, {"upscaleResolution": "4k"}])
def test_seedance_options_fal_cannot_render_are_refused(values: dict[str, str]) -> None:
    with pytest.raises(UnsupportedRequestError):
        check_input(SEEDANCE, "t2v", {"prompt": "p", **values})


def test_supported_seedance_options_pass() -> None:
    check_input(SEEDANCE, "t2v", {"prompt": "p", "outputResolution": "720p", "duration": "5"})
