/** Injected at build time (tsdown / vitest `define`) from package.json. */
declare const __PKG_VERSION__: string;
