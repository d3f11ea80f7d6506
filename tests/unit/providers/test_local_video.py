"""The local model's videos: real H.264 MP4s of the requested size and duration, read back."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from studio402.providers.base import GenerationRequest
from studio402.providers.local import LocalProvider
from studio402.providers.local_video import (
    default_fps,
    probe_video,
    render_video,
    thumbnail_from_video,
)
from studio402.providers.video_dimensions import video_dimensions, video_duration


def video_request(model: str, operation: str = "generate", **fields: Any) -> GenerationRequest:
    return GenerationRequest(
        job_id="job1",
        model=model,
        operation=operation,
        upstream_model=model,
        input={"prompt": "a lighthouse in a storm", **fields},
        deadline=datetime(2030, 1, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("model", "operation", "fields", "size", "duration"),
    [
        (
            "veo-3.1",
            "generate",
            {"durationSeconds": "4", "resolution": "720p", "aspectRatio": "16:9"},
            (1280, 720),
            4.0,
        ),
        (
            "veo-3.1-fast",
            "generate",
            {"durationSeconds": "6", "resolution": "1080p", "aspectRatio": "9:16"},
            (1080, 1920),
            6.0,
        ),
        ("wan-2.6", "t2v", {"duration": "5", "size": "1280*720"}, (1280, 720), 5.0),
        (
            "seedance",
            "t2v",
            {"duration": "4", "outputResolution": "480p", "aspectRatio": "1:1"},
            (480, 480),
            4.0,
        ),
        (
            "seedance-fast",
            "t2v",
            {"duration": "5", "outputResolution": "480p", "aspectRatio": "21:9"},
            (1120, 480),
            5.0,
        ),
        (
            "grok-video",
            "generate",
            {"duration": "3", "resolution": "480p", "aspect_ratio": "4:3"},
            (640, 480),
            3.0,
        ),
        ("sora-2", "generate", {"seconds": "4", "size": "720x1280"}, (720, 1280), 4.0),
    ],
)
async def test_local_videos_have_the_requested_size_duration_and_codec(
    model: str, operation: str, fields: dict[str, Any], size: tuple[int, int], duration: float
) -> None:
    started = time.perf_counter()
    submission = await LocalProvider().submit(video_request(model, operation, **fields))
    elapsed = time.perf_counter() - started
    video, thumbnail = submission.outputs
    probe = probe_video(video.data)
    fps = default_fps(*size)
    assert (probe.codec, probe.width, probe.height) == ("h264", *size)
    assert probe.duration_s == pytest.approx(duration, abs=0.01)
    assert probe.frames == round(duration * fps)
    assert (video.kind, video.content_type, video.duration_s) == ("video", "video/mp4", duration)
    assert (video.width, video.height) == size
    assert video.data[4:8] == b"ftyp"
    assert thumbnail.kind == "thumbnail" and thumbnail.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(thumbnail.data)).size == size
    assert elapsed < 30


def test_a_4_second_720p_clip_renders_in_a_few_seconds() -> None:
    started = time.perf_counter()
    video = render_video("speed check", 1280, 720, 4.0)
    assert time.perf_counter() - started < 6
    assert (video.frames, video.fps, video.duration_s) == (96, 24, 4.0)


def test_videos_are_deterministic_and_follow_the_prompt() -> None:
    first = render_video("a red fox", 320, 180, 1.0, fps=12)
    again = render_video("a red fox", 320, 180, 1.0, fps=12)
    other = render_video("a blue whale", 320, 180, 1.0, fps=12)
    assert first.mp4 == again.mp4 and first.thumbnail_jpeg == again.thumbnail_jpeg
    assert first.mp4 != other.mp4


def test_i2v_takes_the_reference_shape_when_no_ratio_is_given() -> None:
    assert video_dimensions({"resolution": "720p"}, [(600, 800)]) == (720, 960)
    assert video_dimensions({"resolution": "720p", "aspectRatio": "auto"}, [(800, 600)]) == (
        960,
        720,
    )
    assert video_dimensions({}) == (1280, 720)


def test_durations_come_from_any_of_the_duration_fields() -> None:
    assert video_duration({"durationSeconds": "8"}) == 8.0
    assert video_duration({"duration": "auto"}) == 5.0
    assert video_duration({"seconds": "12"}) == 12.0


def test_thumbnail_from_video_reads_a_frame() -> None:
    clip = render_video("thumb", 160, 90, 1.0, fps=12)
    assert Image.open(io.BytesIO(thumbnail_from_video(clip.mp4))).size == (160, 90)
    with pytest.raises(ValueError, match="not a"):
        thumbnail_from_video(b"not a video")


@pytest.mark.parametrize(
    ("args", "message"),
    [((321, 180, 1.0), "even"), ((320, 180, 0.0), "duration"), ((8, 8, 1.0), "within")],
)
def test_render_video_refuses_impossible_requests(
    args: tuple[int, int, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        render_video("x", *args)
