/** Migration files, imported as text by the worker bundle (see migrations.ts). */
declare module '*.sql' {
  const text: string;
  export default text;
}
