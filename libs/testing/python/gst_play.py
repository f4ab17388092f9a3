#!/usr/bin/python3
"""Plays an RTSP URL with GStreamer (an RTSP stack independent of ours) and reports.

Run with /usr/bin/python3. --element picks the front end:
  rtspsrc      rtspsrc ! decodebin, each decoded pad to a fakesink (--latency-ms, default 200)
  uridecodebin uridecodebin uri=..., as an application would build it (rtspsrc's default latency)
  playbin      playbin with fakesinks as video-sink and audio-sink (the README's command)
With --sync the sinks render against the clock (sync=true), as a player does: a stall followed
by a burst then shows as a long gap between rendered frames, which sync=false would hide.

Counts decoded buffers per media type for --seconds, then prints one JSON line:
  {"reached_playing": bool, "buffers": {"video": N, "audio": N}, "caps": {...}, "errors": [...],
   "first_buffer_ms": {"video": ms since start, ...}, "max_gap_ms": {"video": ms, ...}}
max_gap_ms is the largest wall-clock gap between consecutive rendered buffers of a kind after
its first one.
"""
import argparse
import json
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--protocols", choices=["tcp", "udp"], default="tcp")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--latency-ms", type=int, default=None, help="rtspsrc latency; default: 200 for --element rtspsrc, GStreamer's own otherwise")
    p.add_argument("--tls-validation-flags", type=int, help="rtsps://: GTlsCertificateFlags to check (0 = accept a self-signed certificate)")
    p.add_argument("--element", choices=["rtspsrc", "uridecodebin", "playbin"], default="rtspsrc")
    p.add_argument("--hls-demuxer", choices=["hlsdemux", "hlsdemux2"], default=None,
                   help="http(s) HLS URLs: prefer this demuxer (raises its rank) for uridecodebin/playbin")
    p.add_argument("--sync", action="store_true", help="render against the clock (sync=true sinks)")
    a = p.parse_args()
    Gst.init(None)
    if a.hls_demuxer:
        feature = Gst.Registry.get().lookup_feature(a.hls_demuxer)
        if feature is None:
            raise SystemExit(f"no {a.hls_demuxer} element installed")
        feature.set_rank(Gst.Rank.PRIMARY + 100)

    started = time.monotonic()
    result = {"reached_playing": False, "buffers": {"video": 0, "audio": 0}, "caps": {}, "errors": [],
              "first_buffer_ms": {}, "max_gap_ms": {}}
    last_at = {}
    loop = GLib.MainLoop()

    def on_buffer(kind):
        now = time.monotonic()
        result["buffers"][kind] += 1
        if kind not in last_at:
            result["first_buffer_ms"][kind] = round((now - started) * 1000, 1)
        else:
            gap = (now - last_at[kind]) * 1000
            if gap > result["max_gap_ms"].get(kind, 0):
                result["max_gap_ms"][kind] = round(gap, 1)
        last_at[kind] = now

    def make_sink(kind):
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", a.sync)
        sink.set_property("signal-handoffs", True)
        sink.connect("handoff", lambda _s, _buf, _pad: on_buffer(kind))
        return sink

    def configure_rtspsrc(src):
        src.set_property("protocols", "tcp" if a.protocols == "tcp" else "udp")
        latency = a.latency_ms if a.latency_ms is not None else (200 if a.element == "rtspsrc" else None)
        if latency is not None:
            src.set_property("latency", latency)
        if a.tls_validation_flags is not None:
            src.set_property("tls-validation-flags", a.tls_validation_flags)
        if a.user is not None:
            src.set_property("user-id", a.user)
            src.set_property("user-pw", a.password or "")

    def kind_of(caps):
        name = caps.get_structure(0).get_name()
        return "video" if name.startswith("video/") else "audio" if name.startswith("audio/") else None

    if a.element == "playbin":
        pipeline = Gst.ElementFactory.make("playbin")
        pipeline.set_property("uri", a.url)
        pipeline.set_property("video-sink", make_sink("video"))
        pipeline.set_property("audio-sink", make_sink("audio"))
        pipeline.connect("source-setup", lambda _pb, src: configure_rtspsrc(src))
        result["caps"] = {}
    else:
        pipeline = Gst.Pipeline.new("play")

        def on_decoded_pad(_decodebin, pad):
            caps = pad.get_current_caps() or pad.query_caps(None)
            kind = kind_of(caps)
            if kind is None:
                return
            result["caps"][kind] = caps.to_string()
            sink = make_sink(kind)
            pipeline.add(sink)
            sink.sync_state_with_parent()
            pad.link(sink.get_static_pad("sink"))

        if a.element == "uridecodebin":
            src = Gst.ElementFactory.make("uridecodebin")
            src.set_property("uri", a.url)
            src.connect("source-setup", lambda _b, s: configure_rtspsrc(s))
            src.connect("pad-added", on_decoded_pad)
            pipeline.add(src)
        else:
            src = Gst.ElementFactory.make("rtspsrc")
            src.set_property("location", a.url)
            configure_rtspsrc(src)
            pipeline.add(src)

            def on_rtsp_pad(_src, pad):
                decodebin = Gst.ElementFactory.make("decodebin")
                decodebin.connect("pad-added", on_decoded_pad)
                pipeline.add(decodebin)
                decodebin.sync_state_with_parent()
                pad.link(decodebin.get_static_pad("sink"))

            src.connect("pad-added", on_rtsp_pad)

    def on_message(_bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            result["errors"].append(f"{err.message} ({debug})")
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            loop.quit()
        elif msg.type == Gst.MessageType.STATE_CHANGED and msg.src == pipeline:
            _old, new, _pending = msg.parse_state_changed()
            if new == Gst.State.PLAYING:
                result["reached_playing"] = True

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    pipeline.set_state(Gst.State.PLAYING)
    GLib.timeout_add(int(a.seconds * 1000), loop.quit)
    loop.run()
    # The gap still open when playing stops counts too (a stall at the end is a stall).
    now = time.monotonic()
    for kind, at in last_at.items():
        gap = (now - at) * 1000
        if gap > result["max_gap_ms"].get(kind, 0):
            result["max_gap_ms"][kind] = round(gap, 1)
    pipeline.set_state(Gst.State.NULL)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
