// The light build of hls.js (no DRM, subtitles or alternate audio) has the full build's types.
declare module "hls.js/light" {
  export * from "hls.js";
  export { default } from "hls.js";
}
