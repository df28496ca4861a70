// Smoke test of the generated TypeScript client (.ci/api-clients) against a running server:
// list courses, upsert users and deals in bulk, book (idempotently) and cancel a session, read
// an impact report. Type-checked with tsc --strict against out/schema.d.ts (openapi-typescript),
// so a schema change that breaks these calls fails before anything runs.
import createClient from "openapi-fetch";
import type { components, paths } from "./out/schema.js";

declare const process: { env: Record<string, string | undefined>; exitCode?: number };

type Role = components["schemas"]["RoleEnum"];

function need<T>(value: T | undefined, what: string, response: Response): T {
  if (value === undefined) {
    throw new Error(`${what}: HTTP ${response.status}`);
  }
  return value;
}

async function main(): Promise<void> {
  const client = createClient<paths>({
    baseUrl: process.env.API_BASE_URL,
    headers: { Authorization: `Bearer ${process.env.API_KEY}` },
  });
  const run = Math.random().toString(36).slice(2, 12);

  const courses = await client.GET("/api/v1/courses/", { params: { query: { page_size: 100 } } });
  const courseList = need(courses.data, "list courses", courses.response);
  if (courseList.count === 0) throw new Error("no courses");

  const coachEmail = `ts-coach-${run}@example.com`;
  const repEmail = `ts-rep-${run}@example.com`;
  const rows: { email: string; full_name: string; role: Role; coach_email?: string }[] = [
    { email: coachEmail, full_name: "Ts Coach", role: "coach" },
    { email: repEmail, full_name: "Ts Rep", role: "rep", coach_email: coachEmail },
  ];
  for (const row of rows) {
    const upsert = await client.POST("/api/v1/users/bulk", { body: [row] });
    const result = need(upsert.data, "users bulk", upsert.response);
    if (result.created !== 1 || result.errors.length) throw new Error(JSON.stringify(result));
  }
  const ids = new Map<string, number>();
  for (let page = 1; ; page++) {
    const people = await client.GET("/api/v1/users/", {
      params: { query: { page, page_size: 500 } },
    });
    const list = need(people.data, "list users", people.response);
    list.results.forEach((user) => ids.set(user.email, user.id));
    if (!list.next) break;
  }

  const now = new Date();
  const deals = await client.POST("/api/v1/deals/bulk", {
    body: [
      {
        source: "ci-smoke",
        external_id: `ts-${run}`,
        owner_email: repEmail,
        name: "Smoke deal",
        amount: "1200.00",
        currency: "EUR",
        stage: "Discovery",
        status: "open",
        created_at: new Date(now.getTime() - 3 * 86_400_000).toISOString(),
        source_updated_at: now.toISOString(),
      },
    ],
  });
  const dealResult = need(deals.data, "deals bulk", deals.response);
  if (!("created" in dealResult) || dealResult.created !== 1) {
    throw new Error(JSON.stringify(dealResult));
  }

  const start = new Date(now.getTime() + 2 * 86_400_000);
  start.setUTCMinutes(0, 0, 0);
  const booking = {
    rep_id: need(ids.get(repEmail), "the new rep's id", deals.response),
    coach_id: need(ids.get(coachEmail), "the new coach's id", deals.response),
    kind: "one_on_one" as const,
    // openapi-typescript (default settings) makes a field with a default required.
    location: "",
    start: start.toISOString(),
    end: new Date(start.getTime() + 3_600_000).toISOString(),
  };
  const headers = { "Idempotency-Key": `ts-smoke-${run}` };
  const first = await client.POST("/api/v1/coaching/sessions/", {
    params: { header: headers },
    body: booking,
  });
  const session = need(first.data, "book a session", first.response);
  const again = await client.POST("/api/v1/coaching/sessions/", {
    params: { header: headers },
    body: booking,
  });
  const replayed = again.response.headers.get("Idempotent-Replayed") === "true";
  if (again.data?.id !== session.id || !replayed) {
    throw new Error("a retried booking was not answered with the first one");
  }
  const cancel = await client.POST("/api/v1/coaching/sessions/{id}/cancel", {
    params: { path: { id: session.id } },
    body: { reason: "CI smoke test" },
  });
  if (need(cancel.data, "cancel", cancel.response).status !== "cancelled") {
    throw new Error("not cancelled");
  }

  const programs = await client.GET("/api/v1/programs/");
  const program = need(programs.data, "list programs", programs.response).results[0];
  if (!program) throw new Error("no programs");
  const impact = await client.GET("/api/v1/roi/programs/{slug}/impact", {
    params: { path: { slug: program.slug } },
  });
  const report = need(impact.data, "impact report", impact.response);
  console.log(
    `typescript client: ${courseList.count} courses, users and a deal upserted, session ` +
      `${session.id} booked once and cancelled, impact of ${report.subject}: ${report.status}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
