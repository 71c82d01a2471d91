import packageJson from '../package.json';

/** The workbench's version, stamped into every run and report. */
export const APP_VERSION: string = packageJson.version;
