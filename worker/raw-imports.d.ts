// Vite's `?raw` import (a file's text), which the workers tests use to read docs/ pages.
declare module '*.md?raw' {
  const text: string;
  export default text;
}
