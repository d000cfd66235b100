// Filled in by the bundler from package.json (the one version source); the
// fallback keeps `tsx src/main.ts` working in development.
declare const HACHECK_VERSION: string | undefined;
export const VERSION: string = typeof HACHECK_VERSION === 'string' ? HACHECK_VERSION : '0.0.0-dev';
