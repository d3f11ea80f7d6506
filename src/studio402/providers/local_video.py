"""The local model's videos: a real H.264 MP4 of an exact size and duration, from the prompt.

A still is drawn once by :func:`~studio402.providers.local_image.render_image` (so the prompt's
colours, shapes and caption appear) at a little more than the frame size; each frame is a window
sliding and drifting across it (a slow camera pan), with a progress bar and a timecode drawn on
top. Frames are encoded by PyAV's bundled libx264 (``ultrafast``), so a 4 s 720p clip takes about
a second. The same prompt, size, duration and ``seed_extra`` give the same frames.

Also here: :func:`probe_video` (read a file's codec, size, frame count and duration back) and
:func:`thumbnail_from_video` (a JPEG of one frame), used for upstream videos too.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
from dataclasses import dataclass

import av
import av.error
from PIL import Image, ImageDraw, ImageFont

from studio402.providers.local_image import render_image

__all__ = [
    "DEFAULT_FPS",
    "MAX_DURATION_S",
    "RenderedVideo",
    "VideoProbe",
    "default_fps",
    "probe_video",
    "render_video",
    "thumbnail_from_video",
]

DEFAULT_FPS = 24
"""Frame rate of local videos up to 720p; larger ones use 12 fps to stay fast."""

MAX_DURATION_S = 60.0
"""Longest local video."""

_MAX_EDGE = 4096
_OVERSCAN = 1.15
_THUMBNAIL_QUALITY = 85


@dataclass(frozen=True, slots=True)
class RenderedVideo:
    """A rendered clip: MP4 bytes, a JPEG thumbnail, and what they are."""

    mp4: bytes
    thumbnail_jpeg: bytes
    width: int
    height: int
    fps: int
    frames: int

    @property
    def duration_s(self) -> float:
        """The clip's duration in seconds (frames / fps)."""
        return self.frames / self.fps


@dataclass(frozen=True, slots=True)
class VideoProbe:
    """What a video file holds: its first video stream's codec, size, frames and duration."""

    codec: str
    width: int
    height: int
    frames: int
    duration_s: float


def default_fps(width: int, height: int) -> int:
    """24 fps up to 1280x720 pixels per frame, 12 fps above (keeps 1080p encodes quick)."""
    return DEFAULT_FPS if width * height <= 1280 * 720 else DEFAULT_FPS // 2


def render_video(
    prompt: str,
    width: int,
    height: int,
    duration_s: float,
    *,
    fps: int | None = None,
    seed_extra: str = "",
) -> RenderedVideo:
    """Render ``prompt`` as an H.264 MP4 of exactly ``width`` x ``height`` and ``duration_s``.

    The frame count is ``round(duration_s * fps)``; the container's duration is that count over
    ``fps``, so whole-second durations are exact.

    Raises:
        ValueError: odd or out-of-range dimensions (H.264 4:2:0 needs even sizes), a duration
            outside (0, MAX_DURATION_S], or a frame rate below 1.
    """
    _check(width, height, duration_s)
    fps = fps or default_fps(width, height)
    if fps < 1:
        raise ValueError("fps must be at least 1")
    frames = max(1, round(duration_s * fps))
    big_w, big_h = _even(width * _OVERSCAN), _even(height * _OVERSCAN)
    png = render_image(prompt, big_w, big_h, seed_extra=seed_extra)
    still = Image.open(io.BytesIO(png)).convert("RGB")
    font = ImageFont.load_default(size=max(10, height // 24))
    fd, path = tempfile.mkstemp(suffix=".mp4", prefix="studio402-")
    os.close(fd)
    thumbnail = b""
    try:
        with av.open(path, "w", format="mp4", options={"movflags": "+faststart"}) as container:
            stream = container.add_stream(
                "libx264", rate=fps, options={"preset": "ultrafast", "crf": "28"}
            )
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for index in range(frames):
                frame = _frame(still, font, index, frames, fps, width, height)
                if index == frames // 2:
                    thumbnail = _jpeg(frame)
                video_frame = av.VideoFrame.from_image(frame)  # type: ignore[no-untyped-call]
                for packet in stream.encode(video_frame):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        with open(path, "rb") as handle:
            mp4 = handle.read()
    finally:
        os.unlink(path)
    return RenderedVideo(mp4, thumbnail, width, height, fps, frames)


def probe_video(data: bytes) -> VideoProbe:
    """Read a video's first stream back: codec name, size, frame count and duration (s).

    Raises:
        ValueError: the bytes are not a video PyAV can open.
    """
    try:
        with av.open(io.BytesIO(data), "r") as container:
            if not container.streams.video:
                raise ValueError("no video stream")
            stream = container.streams.video[0]
            if container.duration is not None:
                duration = container.duration / av.time_base
            elif stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            else:
                duration = 0.0
            return VideoProbe(
                codec=stream.codec_context.name,
                width=stream.codec_context.width,
                height=stream.codec_context.height,
                frames=stream.frames,
                duration_s=round(duration, 3),
            )
    except (av.error.FFmpegError, OSError) as exc:
        raise ValueError(f"not a readable video: {exc}") from exc


def thumbnail_from_video(data: bytes, *, max_edge: int = 1280) -> bytes:
    """A JPEG of the video's first decodable frame, scaled to fit ``max_edge``.

    Raises:
        ValueError: the bytes are not a video PyAV can decode.
    """
    try:
        with av.open(io.BytesIO(data), "r") as container:
            for frame in container.decode(video=0):
                image = frame.to_image()  # type: ignore[no-untyped-call]
                image.thumbnail((max_edge, max_edge))
                return _jpeg(image)
    except (av.error.FFmpegError, OSError) as exc:
        raise ValueError(f"not a decodable video: {exc}") from exc
    raise ValueError("the video has no frames")


def _check(width: int, height: int, duration_s: float) -> None:
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int) or not 16 <= value <= _MAX_EDGE:
            raise ValueError(f"{name} must be an int within 16..{_MAX_EDGE}, got {value!r}")
        if value % 2:
            raise ValueError(f"{name} must be even for H.264 4:2:0, got {value}")
    if not (math.isfinite(duration_s) and 0 < duration_s <= MAX_DURATION_S):
        raise ValueError(f"duration must be within (0, {MAX_DURATION_S:g}] s, got {duration_s!r}")


def _even(value: float) -> int:
    return max(2, math.ceil(value / 2) * 2)


def _frame(
    still: Image.Image,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    index: int,
    frames: int,
    fps: int,
    width: int,
    height: int,
) -> Image.Image:
    """The window of ``still`` for frame ``index``: a pan along a gentle curve, plus overlays."""
    progress = index / max(frames - 1, 1)
    spare_x, spare_y = still.width - width, still.height - height
    x = round(spare_x * progress)
    y = round(spare_y * (0.5 + 0.5 * math.sin(progress * 2 * math.pi)))
    frame = still.crop((x, y, x + width, y + height))
    draw = ImageDraw.Draw(frame)
    bar = max(2, height // 90)
    draw.rectangle((0, height - bar, round(width * (index + 1) / frames), height), fill="white")
    seconds = index / fps
    draw.text(
        (width - bar * 4, bar * 4),
        f"{seconds:05.2f}s",
        font=font,
        fill=(255, 255, 255),
        anchor="ra",
        stroke_width=max(1, bar // 2),
        stroke_fill=(0, 0, 0),
    )
    return frame


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=_THUMBNAIL_QUALITY)
    return out.getvalue()
