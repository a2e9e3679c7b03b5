// Vite's CSS imports, for the typecheck (tsc -p .).
declare module '*.css';
