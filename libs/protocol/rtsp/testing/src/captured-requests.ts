/** Request heads captured from real clients; see VECTOR_SOURCE.md for the commands. */
export const CAPTURED_REQUESTS = {
  ffmpegOptions: 'OPTIONS rtsp://127.0.0.1:35603/s RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: Lavf59.27.100\r\n\r\n',
  ffmpegDescribe: 'DESCRIBE rtsp://127.0.0.1:35603/s RTSP/1.0\r\nAccept: application/sdp\r\nCSeq: 2\r\nUser-Agent: Lavf59.27.100\r\n\r\n',
  ffmpegSetupTcp:
    'SETUP rtsp://127.0.0.1:35603/s/trackID=0 RTSP/1.0\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\nCSeq: 3\r\nUser-Agent: Lavf59.27.100\r\n\r\n',
  ffmpegSetupUdp:
    'SETUP rtsp://127.0.0.1:35603/s/trackID=0 RTSP/1.0\r\nTransport: RTP/AVP/UDP;unicast;client_port=15670-15671\r\nCSeq: 3\r\nUser-Agent: Lavf59.27.100\r\n\r\n',
  ffmpegPlay:
    'PLAY rtsp://127.0.0.1:35603/s/ RTSP/1.0\r\nRange: npt=0.000-\r\nCSeq: 4\r\nUser-Agent: Lavf59.27.100\r\nSession: 12345678\r\n\r\n',
  gstOptions:
    'OPTIONS rtsp://127.0.0.1:35603/s RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: GStreamer/1.22.0\r\n' +
    'User-Agent: RealMedia Player Version 6.0.9.1235 (linux-2.0-libc6-i386-gcc2.95)\r\n' +
    'ClientChallenge: 9e26d33f2984236010ef6253fb1887f7\r\nCompanyID: KnKV4M4I/B2FjJ1TToLycw==\r\n' +
    'GUID: 00000000-0000-0000-0000-000000000000\r\nRegionData: 0\r\nPlayerStarttime: [28/03/2003:22:50:23 00:00]\r\n' +
    'ClientID: Linux_2.4_6.0.9.1235_play32_RN01_EN_586\r\nDate: Sat, 21 Nov 2026 00:38:28 GMT\r\n\r\n',
  gstSetupTcp:
    'SETUP rtsp://127.0.0.1:35603/s/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nUser-Agent: GStreamer/1.22.0\r\n' +
    'Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\nDate: Sat, 21 Nov 2026 00:38:28 GMT\r\n\r\n',
  gstSetupUdp:
    'SETUP rtsp://127.0.0.1:35603/s/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nUser-Agent: GStreamer/1.22.0\r\n' +
    'Transport: RTP/AVP;unicast;client_port=37964-37965\r\nDate: Sat, 21 Nov 2026 00:38:33 GMT\r\n\r\n',
  gstPlay:
    'PLAY rtsp://127.0.0.1:35603/s/ RTSP/1.0\r\nCSeq: 4\r\nUser-Agent: GStreamer/1.22.0\r\nRange: npt=0-\r\n' +
    'Session: 12345678\r\nDate: Sat, 21 Nov 2026 00:38:33 GMT\r\n\r\n',
} as const;
