#!/usr/bin/python3
"""Plays an RTSP URL with GStreamer's rtspsrc (an RTSP stack independent of ours) and reports.

Run with /usr/bin/python3. Builds rtspsrc ! decodebin, links every decoded pad to a fakesink,
counts decoded buffers per media type for --seconds, then prints one JSON line:
  {"reached_playing": bool, "buffers": {"video": N, "audio": N}, "caps": {...}, "errors": [...]}
"""
import argparse
import json
import sys

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
    p.add_argument("--latency-ms", type=int, default=200)
    a = p.parse_args()
    Gst.init(None)

    pipeline = Gst.Pipeline.new("play")
    src = Gst.ElementFactory.make("rtspsrc")
    src.set_property("location", a.url)
    src.set_property("protocols", "tcp" if a.protocols == "tcp" else "udp")
    src.set_property("latency", a.latency_ms)
    if a.user is not None:
        src.set_property("user-id", a.user)
        src.set_property("user-pw", a.password or "")
    pipeline.add(src)

    result = {"reached_playing": False, "buffers": {"video": 0, "audio": 0}, "caps": {}, "errors": []}
    loop = GLib.MainLoop()

    def count(kind):
        def probe(_pad, _info):
            result["buffers"][kind] += 1
            return Gst.PadProbeReturn.OK
        return probe

    def on_decoded_pad(_decodebin, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        name = caps.get_structure(0).get_name()
        kind = "video" if name.startswith("video/") else "audio" if name.startswith("audio/") else None
        if kind is None:
            return
        result["caps"][kind] = caps.to_string()
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))
        pad.add_probe(Gst.PadProbeType.BUFFER, count(kind))

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
    pipeline.set_state(Gst.State.NULL)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
