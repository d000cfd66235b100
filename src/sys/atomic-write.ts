// Atomic replace of a file (temp file + rename in the same directory): it lives
// in the trusted-file layer (src/sys/trusted-file.ts), with the temp file's
// random name and O_EXCL|O_NOFOLLOW, so a root run never writes through a
// planted name. Re-exported here for the writers that import it by this name.
export { writeFileAtomic, type AtomicWriteOptions } from './trusted-file.js';
