export * from './flv-error';
export * from './video-tag';
export * from './audio-tag';
export * from './script-tag';
export * from './tag-type';
export * from './flv-file';
