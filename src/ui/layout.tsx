import type { Child } from 'hono/jsx';
import type { Principal } from '../auth/middleware';
import { formatVnDateTime } from '../lib/time';
import { WORDS, type Lang } from './i18n';

/** The console's frame: no external assets, so it works offline on a provincial network. */
const CSS = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2430;background:#f4f6f9}
header{background:#8b1a1a;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none;opacity:.9}header a.on{font-weight:600;opacity:1;border-bottom:2px solid #f7d14c}
header .brand{font-weight:700;margin-right:1rem}header .me{margin-left:auto;font-size:.9em}
main{padding:1.2rem;max-width:1280px;margin:0 auto}h1{font-size:1.35rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .6rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(400px,1fr));gap:1rem}
.card{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:1rem}
.card h3{margin:0 0 .5rem;font-size:1rem;display:flex;justify-content:space-between;align-items:center}
.light{display:inline-block;padding:.1rem .55rem;border-radius:999px;font-size:.8rem;font-weight:600;color:#fff}
.light.green{background:#23864a}.light.amber{background:#c77c02}.light.red{background:#c62828}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #dde3ea}th,td{text-align:left;padding:.4rem .55rem;border-bottom:1px solid #eef1f5;vertical-align:top}
th{background:#f0f3f7;font-weight:600;font-size:.9em}dl{display:grid;grid-template-columns:minmax(0,1.3fr) minmax(0,1fr);gap:.25rem .8rem;margin:0}dt{color:#5b6675}dd{margin:0}
.muted{color:#6b7684}.small{font-size:.85em}code{font-family:ui-monospace,Consolas,monospace;font-size:.9em;background:#f0f3f7;padding:0 .25rem;border-radius:3px}
form.inline{display:inline}button,.btn{background:#1d4f91;color:#fff;border:0;border-radius:5px;padding:.35rem .8rem;cursor:pointer;font:inherit;text-decoration:none;display:inline-block}
button.secondary{background:#5b6675}input,select{font:inherit;padding:.3rem .45rem;border:1px solid #c6ced8;border-radius:5px}
.flash{background:#e8f4ec;border:1px solid #9cd1ae;padding:.5rem .8rem;border-radius:6px;margin-bottom:1rem}.error{background:#fdecea;border-color:#f5b5ae}
.bars{display:flex;align-items:flex-end;gap:2px;height:48px}.bars span{flex:1;background:#1d4f91;min-height:1px;border-radius:2px 2px 0 0}
.bars span.fail{background:#c62828}pre{white-space:pre-wrap;word-break:break-all;background:#f7f9fb;border:1px solid #e4e8ee;padding:.6rem;border-radius:6px;max-height:420px;overflow:auto}
.login{max-width:360px;margin:4rem auto}.login input{width:100%;margin:.2rem 0 .8rem}.lang{font-size:.85em}
`;

export interface PageProps {
  lang: Lang;
  title: string;
  active?: string;
  principal?: Principal;
  flash?: { text: string; error?: boolean };
  children?: Child;
}

export function Layout(props: PageProps) {
  const w = WORDS[props.lang];
  const nav: [string, string][] = [
    ['/console', w.overview],
    ['/console/problems', w.problems],
    ['/console/dossiers', w.dossiers],
    ['/console/drift', w.drift],
    ...(props.principal?.role === 'admin' ? ([['/console/admin', w.admin]] as [string, string][]) : []),
    ['/docs', w.apiDocs],
  ];
  return (
    <html lang={props.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · lienthong`}</title>
        <style>{CSS}</style>
      </head>
      <body>
        <header>
          <span class="brand">lienthong</span>
          {props.principal && nav.map(([href, label]) => <a href={href} class={props.active === href ? 'on' : ''}>{label}</a>)}
          <span class="me">
            <a class="lang" href="?lang=vi">VI</a> · <a class="lang" href="?lang=en">EN</a>
            {props.principal && (
              <>
                {' '}· {w.signedInAs} <strong>{props.principal.name}</strong> ({props.principal.role}) ·{' '}
                <form class="inline" method="post" action="/console/logout">
                  <button class="secondary" type="submit">{w.signOut}</button>
                </form>
              </>
            )}
          </span>
        </header>
        <main>
          <h1>{props.title}</h1>
          {props.flash && <div class={`flash${props.flash.error ? ' error' : ''}`}>{props.flash.text}</div>}
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** Times are shown in Vietnam time, as dd/MM/yyyy HH:mm:ss, whatever the browser's zone. */
export const when = (ms: number | null | undefined, lang: Lang) => (ms === null || ms === undefined ? WORDS[lang].never : formatVnDateTime(ms));

export const minutes = (ms: number | null) =>
  ms === null ? '—' : ms < 60_000 ? `${Math.round(ms / 1000)} s` : ms < 3600_000 ? `${Math.round(ms / 60_000)} min` : `${(ms / 3600_000).toFixed(1)} h`;
