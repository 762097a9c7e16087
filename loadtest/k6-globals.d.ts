// k6 provides a console but @types/k6 does not declare one; the DOM lib would also admit browser globals
// (window, document, fetch) that k6 lacks, so only the console is declared here.
declare var console: {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  debug(...data: unknown[]): void;
};
