import { Hono, type Context } from 'hono';
import { escapeHtml } from '../report/html.js';
import { BadRequest, decodeCursor, DEFAULT_JOBS, ID, jobDetail, listJobViews, MAX_JOBS, rejectsPage, type ApiDeps, type RejectsQuery } from './jobs.js';
import { jobPage, jobsPage, pipelinePage } from './pages.js';

const MAX_PAGE = 500;
const CONTENT_TYPES: Readonly<Record<string, string>> = { html: 'text/html; charset=utf-8', json: 'application/json', jsonl: 'application/x-ndjson', csv: 'text/csv; charset=utf-8' };

export interface AppOptions {
  /** Serve the HTML pages and `/files/…` (the local dashboard); the API alone otherwise. */
  readonly pages?: boolean;
  /** When set, a request whose Host header is not one of these is refused (a page of another site, rebound to 127.0.0.1, cannot read the API). */
  readonly hosts?: () => readonly string[];
}

/** `rule` and `cursor` of a rejects request; a cursor this API did not give is a BadRequest. */
function rejectsQuery(c: Context): RejectsQuery {
  const cursorText = c.req.query('cursor');
  const cursor = cursorText ? decodeCursor(cursorText) : undefined;
  if (cursorText && !cursor) throw new BadRequest('not a cursor this API gave');
  const rule = c.req.query('rule') || undefined;
  return { ...(rule ? { rule } : {}), ...(cursor ? { cursor } : {}) };
}

const notFound = (c: Context, what: string) => c.json({ error: `${what} not found` }, 404);
const badRequest = (c: Context, why: string) => c.json({ error: why }, 400);

/**
 * The JSON API over jobs, their reports and rejects, and pipelines' history, and (with `pages`)
 * the dashboard's pages: the same routes locally (`sluice serve`) and behind API Gateway.
 */
export function apiApp(deps: ApiDeps, options: AppOptions = {}): Hono {
  const app = new Hono();
  app.onError((e, c) => (e instanceof BadRequest ? badRequest(c, e.message) : c.json({ error: e.message }, 500)));
  const hosts = options.hosts;
  if (hosts) {
    app.use(async (c, next) => {
      if (!hosts().includes(c.req.header('host') ?? '')) return c.json({ error: `host ${c.req.header('host') ?? '(none)'} is not this server's (start it with --host to serve other names)` }, 403);
      await next();
    });
  }

  app.get('/api/jobs', async (c) => {
    const limitText = c.req.query('limit') ?? String(DEFAULT_JOBS);
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > MAX_JOBS) return badRequest(c, `limit must be a whole number from 1 to ${MAX_JOBS}`);
    return c.json({ jobs: await listJobViews(deps, { pipeline: c.req.query('pipeline'), status: c.req.query('status'), limit }) });
  });

  app.get('/api/jobs/:id', async (c) => {
    const id = c.req.param('id');
    const detail = ID.test(id) ? await jobDetail(deps, id) : undefined;
    return detail ? c.json(detail) : notFound(c, `job ${id}`);
  });

  app.get('/api/jobs/:id/rejects', async (c) => {
    const id = c.req.param('id');
    const job = ID.test(id) ? await deps.state.getJob(id) : undefined;
    if (!job) return notFound(c, `job ${id}`);
    const limitText = c.req.query('limit') ?? '50';
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > MAX_PAGE) return badRequest(c, `limit must be a whole number from 1 to ${MAX_PAGE}`);
    return c.json(await rejectsPage(deps, job, { limit, ...rejectsQuery(c) }));
  });

  app.get('/api/pipelines/:name/history', async (c) => {
    const name = c.req.param('name');
    if (!ID.test(name)) return notFound(c, `pipeline ${name}`);
    const lastText = c.req.query('last');
    if (lastText !== undefined && !/^[1-9]\d{0,5}$/.test(lastText)) return badRequest(c, 'last must be a whole number of at least 1');
    return c.json({ pipeline: name, entries: await deps.state.history(name, lastText ? { last: Number(lastText) } : {}) });
  });

  if (!options.pages) return app;

  app.get('/', async (c) => c.html(jobsPage(await listJobViews(deps))));
  app.get('/jobs/:id', async (c) => {
    const id = c.req.param('id');
    const detail = ID.test(id) ? await jobDetail(deps, id) : undefined;
    if (!detail) return c.html(`<p>job ${escapeHtml(id)} not found</p>`, 404);
    const query = rejectsQuery(c);
    return c.html(jobPage(detail, await rejectsPage(deps, detail.record, { limit: 50, parts: detail.parts, ...query }), query.rule));
  });
  app.get('/pipelines/:name', async (c) => {
    const name = c.req.param('name');
    if (!ID.test(name)) return c.html('<p>no such pipeline</p>', 404);
    return c.html(pipelinePage(name, await deps.state.history(name)));
  });
  // The stored reports and parts, as links point at them; only under the job prefixes, never state/ or manifests/.
  app.get('/files/*', async (c) => {
    let key: string;
    try {
      key = decodeURIComponent(c.req.path.slice('/files/'.length));
    } catch {
      return c.text('not found', 404);
    }
    const segments = key.split('/');
    if (!/^(reports|rejects|results|collections)$/.test(segments[0] ?? '') || segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\u0000'))) return c.text('not found', 404);
    const body = await deps.objects.get(key);
    if (!body) return c.text('not found', 404);
    const ext = key.slice(key.lastIndexOf('.') + 1);
    return c.body(new Uint8Array(body), 200, { 'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream' });
  });
  return app;
}
