export * from './ports';
export * from './processes';
export * from './media';
export * from './gst-rtsp-server';
export { pythonHelperPath, SYSTEM_PYTHON } from './python-helper';
export * from './rtsp-reader';
export * from './nginx-rtmp';
