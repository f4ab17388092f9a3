#!/usr/bin/python3
"""A GStreamer RTSP server standing in for IP cameras in tests and benchmarks.

Run with /usr/bin/python3 (Debian's, which has gi). Serves H.264 + AAC at
rtsp://127.0.0.1:<port>/<mount>, either encoded live from videotestsrc/audiotestsrc or read
from a pre-encoded MP4 (--file) so a benchmark can serve exactly what the gateway serves.

--file plays the file once per pipeline; a shared pipeline is torn down when its last client
leaves, so the next client starts from the beginning. File-backed media is seekable: a client
whose PLAY carries Range seeks the pipeline every client of the mount shares.

Talks to its parent through JSON lines on stdout:
  {"event":"ready","port":N,"mounts":[...]}
  {"event":"sessions","mounts":{"cam1":{"sessions":2,"playing":1}},"clients":3}   (on change)
  {"event":"client-connected","clients":N} / {"event":"client-closed","clients":N}
  {"event":"session-created","total":N}   (every new RTSP session; total since start)
  {"event":"video-stalled","media":N}     (after SIGUSR1: video of N playing media stopped)
  {"event":"error","message":"..."}
"""
import argparse
import json
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def emit(event, **fields):
    fields["event"] = event
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--address", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (reported in the ready line)")
    p.add_argument("--mounts", default="test", help="comma-separated mount names, one per camera")
    p.add_argument("--file", help="serve this MP4 (H.264 + optional AAC) instead of test sources")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--fps", type=int, default=25)
    p.add_argument("--gop", type=int, default=50, help="frames between keyframes")
    p.add_argument("--bitrate", type=int, default=1000, help="video kbit/s")
    p.add_argument("--no-audio", action="store_true")
    p.add_argument("--codec", choices=["h264", "h265"], default="h264", help="live video codec (x264enc or x265enc)")
    p.add_argument("--bframes", type=int, default=0,
                   help="h265: B-frames between references (x265 without tune=zerolatency, which allows none)")
    p.add_argument("--auth", choices=["none", "basic", "digest"], default="none")
    p.add_argument("--user", default="user")
    p.add_argument("--password", default="pass")
    p.add_argument("--protocols", choices=["tcp", "udp", "tcp+udp"], default="tcp+udp",
                   help="lower transports offered; 'tcp' simulates a camera refusing UDP")
    p.add_argument("--session-timeout", type=int, default=60, help="seconds")
    p.add_argument("--shared", dest="shared", action="store_true", default=True)
    p.add_argument("--no-shared", dest="shared", action="store_false")
    p.add_argument("--status-interval-ms", type=int, default=250,
                   help="how often session counts are checked (a change prints a line)")
    return p.parse_args()


def aac_encoder():
    # Debian's GStreamer ships some of these depending on which plugin sets are installed.
    for name in ("avenc_aac", "voaacenc", "fdkaacenc"):
        if Gst.ElementFactory.find(name) is not None:
            return name
    raise SystemExit("no AAC encoder element (avenc_aac, voaacenc, fdkaacenc) is installed")


# Every video branch passes a valve: SIGUSR1 closes it in the media playing now (its video
# stops while its audio flows on, a camera whose encoder hung); media made later flow again.
VIDEO_VALVE = "valve name=videovalve drop=false"


def live_launch(a):
    raw = (
        "videotestsrc is-live=true pattern=smpte ! "
        f"video/x-raw,width={a.width},height={a.height},framerate={a.fps}/1 ! "
    )
    if a.codec == "h265":
        tune = f"option-string=bframes={a.bframes}:b-adapt=0:rc-lookahead={a.bframes + 3}" if a.bframes else "tune=zerolatency"
        encode = (
            f"x265enc {tune} speed-preset=superfast bitrate={a.bitrate} key-int-max={a.gop} ! "
            f"h265parse ! {VIDEO_VALVE} ! rtph265pay name=pay0 pt=96 config-interval=-1"
        )
    else:
        encode = (
            f"x264enc tune=zerolatency speed-preset=superfast bitrate={a.bitrate} key-int-max={a.gop} ! "
            f"video/x-h264,profile=high ! h264parse ! {VIDEO_VALVE} ! rtph264pay name=pay0 pt=96 config-interval=-1"
        )
    video = raw + encode
    if a.no_audio:
        return f"( {video} )"
    audio = (
        "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample ! "
        f"audio/x-raw,rate=48000,channels=2 ! {aac_encoder()} ! aacparse ! "
        "rtpmp4gpay name=pay1 pt=97"
    )
    return f"( {video} {audio} )"


def file_launch(a):
    path = a.file.replace('"', '\\"')
    video = f"d.video_0 ! queue ! h264parse ! {VIDEO_VALVE} ! rtph264pay name=pay0 pt=96 config-interval=-1"
    if a.no_audio:
        return f'( filesrc location="{path}" ! qtdemux name=d {video} )'
    audio = "d.audio_0 ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97"
    return f'( filesrc location="{path}" ! qtdemux name=d {video} {audio} )'


def lower_transports(protocols):
    t = GstRtsp.RTSPLowerTrans
    return {"tcp": t.TCP, "udp": t.UDP | t.UDP_MCAST, "tcp+udp": t.TCP | t.UDP | t.UDP_MCAST}[protocols]


def make_auth(a):
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", a.user)
    if a.auth == "basic":
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(a.user, a.password), token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
    else:
        auth.add_digest(a.user, a.password, token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    return auth


class SessionCounter:
    """Counts RTSP sessions per mount by walking the session pool; prints a line on change."""

    def __init__(self, server, mounts):
        self.pool = server.get_session_pool()
        self.mounts = mounts
        self.clients = 0
        self.last = None

    def snapshot(self):
        counts = {m: {"sessions": 0, "playing": 0} for m in self.mounts}
        for session in self.pool.filter(None):
            for sm in session.filter(None):
                for m in self.mounts:
                    matched, _ = sm.matches("/" + m)
                    if matched:
                        counts[m]["sessions"] += 1
                        if sm.get_rtsp_state() == GstRtsp.RTSPState.PLAYING:
                            counts[m]["playing"] += 1
        return counts

    def tick(self):
        counts = self.snapshot()
        key = (json.dumps(counts, sort_keys=True), self.clients)
        if key != self.last:
            self.last = key
            emit("sessions", mounts=counts, clients=self.clients)
        return True


def main():
    a = parse_args()
    Gst.init(None)
    mounts = [m for m in a.mounts.split(",") if m]
    server = GstRtspServer.RTSPServer()
    server.set_address(a.address)
    server.set_service(str(a.port))
    if a.auth != "none":
        server.set_auth(make_auth(a))

    launch = file_launch(a) if a.file else live_launch(a)
    factories = []
    for m in mounts:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch)
        factory.set_shared(a.shared)
        factory.set_protocols(lower_transports(a.protocols))
        if a.auth != "none":
            factory.add_role_from_structure(Gst.Structure.from_string(
                f"{a.user}, media.factory.access=(boolean)true, media.factory.construct=(boolean)true")[0])
        server.get_mount_points().add_factory("/" + m, factory)
        factories.append(factory)

    counter = SessionCounter(server, mounts)
    media_now = []
    sessions_created = [0]

    def on_media_configure(_factory, media):
        media_now.append(media)
        media.connect("unprepared", lambda m: media_now.remove(m) if m in media_now else None)

    for factory in factories:
        factory.connect("media-configure", on_media_configure)

    def stall_video():
        stalled = 0
        for media in media_now:
            valve = media.get_element().get_by_name("videovalve")
            if valve is not None:
                valve.set_property("drop", True)
                stalled += 1
        emit("video-stalled", media=stalled)
        return True

    def on_new_session(_client, session):
        session.set_timeout(a.session_timeout)
        sessions_created[0] += 1
        emit("session-created", total=sessions_created[0])

    def on_client_closed(_client):
        counter.clients -= 1
        emit("client-closed", clients=counter.clients)

    def on_client_connected(_server, client):
        counter.clients += 1
        client.connect("new-session", on_new_session)
        client.connect("closed", on_client_closed)
        emit("client-connected", clients=counter.clients)

    server.connect("client-connected", on_client_connected)

    if server.attach(None) == 0:
        emit("error", message=f"could not listen on {a.address}:{a.port}")
        sys.exit(1)
    loop = GLib.MainLoop()

    # Expired sessions are only reaped when someone asks the pool to clean up.
    def cleanup():
        server.get_session_pool().cleanup()
        return True

    GLib.timeout_add_seconds(1, cleanup)
    GLib.timeout_add(a.status_interval_ms, counter.tick)
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR1, stall_video)
    emit("ready", port=server.get_bound_port(), mounts=mounts)
    loop.run()


if __name__ == "__main__":
    main()
