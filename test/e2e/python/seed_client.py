"""The camera-stream server's client example, as operators wrote it against the seed API.

Usage: seed_client.py BASE_URL CAMERA_URL FRAME_FILE
Adds a camera, starts it, waits for status to show packets, saves the latest frame (raw H.264)
to FRAME_FILE, then stops it. Exits non-zero on any unexpected answer.
"""
import sys
import time

import requests

base, camera_url, frame_file = sys.argv[1], sys.argv[2], sys.argv[3]

r = requests.post(f"{base}/api/streams", json={
    "name": "front_door",
    "rtsp_url": camera_url,
    "channel": 1,
    "subtype": 0,
    "username": "admin",
    "password": "s3cret-cam-pw",
    "enabled": False,
})
assert r.status_code == 201, (r.status_code, r.text)
print("added", r.json()["name"])

r = requests.post(f"{base}/api/streams/front_door/start")
assert r.status_code == 200, (r.status_code, r.text)

status = {}
for _ in range(100):
    status = requests.get(f"{base}/api/streams/front_door").json()
    if status.get("playing") and status.get("packets_received", 0) > 0 and status.get("last_frame_time"):
        break
    time.sleep(0.2)
print("status", status["connected"], status["playing"], status["packets_received"], status["frames_received"])
assert status["playing"], status

r = requests.get(f"{base}/api/streams/front_door/frame")
assert r.status_code == 200, (r.status_code, r.text)
with open(frame_file, "wb") as f:
    f.write(r.content)
print("frame", len(r.content), r.headers["Content-Type"])

r = requests.post(f"{base}/api/streams/front_door/stop")
assert r.status_code == 200, (r.status_code, r.text)
print("stopped")
