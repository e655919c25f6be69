"use strict";
/*
 * The React client's journey through the API, replayed in a real browser from another origin, with the
 * bodies and headers the contract records ("What the React client really sends", api-contract.md).
 * Every call is a cross-origin fetch with credentials, so the browser preflights every one of them.
 *
 * runJourney({api, username, password}) answers {calls, imageWidth, error}: each call with the status the
 * journey expected and the one it got, so the test can hold the browser's own network log against it.
 */

const BLANKS = { uuid: "", created_at: "", modified_at: "" };

/** An object as the client's forms build it: blank uuid and timestamps, then the fields. */
function blank(fields) {
  return { ...BLANKS, ...fields };
}

function link(text = "", url = "") {
  return blank({ user: {}, text, url });
}

function address(fields = {}) {
  const empty = { place_name: "", country: "", state: "", city: "", street: "", full_address: "", zipcode: "" };
  return blank({ ...empty, ...fields });
}

/** A label picked in a form: no uuid yet, matched by its text. */
function chosenLabel(text) {
  return { uuid: "", text, user: null, color: "", order: 0 };
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** A create or update succeeded for the client only if its JSON answer has a uuid. */
function saved(object, step) {
  check(object && typeof object.uuid === "string" && object.uuid.length > 0, `${step}: the answer has no uuid`);
  return object;
}

// The dashboard's query as Apollo prints it: anonymous shorthand, __typename on every selection set.
const DASHBOARD_QUERY = `{
  companies(first: 20, order_by: "-modified_at", after: "", labels__text: "Applied", labels__isnull: false, name__icontains: "acme") {
    totalCount
    count
    pageInfo {
      startCursor
      endCursor
      hasNextPage
      __typename
    }
    edges {
      node {
        uuid
        name
        labels {
          text
          __typename
        }
        applications {
          uuid
          position_title
          __typename
        }
        __typename
      }
      __typename
    }
    __typename
  }
}
`;

class Api {
  constructor(base) {
    this.base = base.replace(/\/$/, "");
    this.token = "";
    this.calls = [];
  }

  /**
   * One call as the client makes it: `Authorization: JWT <token>`, or an empty Authorization header when
   * there is no token. `headers` replaces the client's usual headers (Apollo writes its own).
   */
  async call(step, method, path, { body, form, expect = 200, token = this.token, headers } = {}) {
    const url = path.startsWith("http") ? path : this.base + path;
    const sent = headers ?? { Authorization: token ? `JWT ${token}` : "" };
    let payload;
    if (form !== undefined) {
      payload = form; // the browser writes the multipart Content-Type and its boundary
    } else if (body !== undefined) {
      if (!headers) sent["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const record = { step, method, url, expected: expect, status: null };
    this.calls.push(record);
    let response;
    try {
      response = await fetch(url, { method, mode: "cors", credentials: "include", headers: sent, body: payload });
    } catch (error) {
      throw new Error(`${step}: ${method} ${url} failed in the browser (CORS or network): ${error}`);
    }
    record.status = response.status;
    const text = await response.text();
    check(
      response.status === expect,
      `${step}: ${method} ${url} answered ${response.status}, expected ${expect}: ${text.slice(0, 800)}`,
    );
    return text ? JSON.parse(text) : null;
  }
}

/** A PNG drawn by the browser itself, as a pasted screenshot would be. */
function drawnPng(width, height) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  context.fillStyle = "#2a7ae2";
  context.fillRect(0, 0, width, height);
  context.fillStyle = "#ffffff";
  context.fillRect(width / 4, height / 4, width / 2, height / 2);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

/** Show notes HTML as the rich-text editor does, and wait until its <img> (which sends no token) is decoded. */
function showNotes(html) {
  const notes = document.getElementById("notes");
  notes.innerHTML = html;
  const image = notes.querySelector("img");
  if (!image) return Promise.reject(new Error("show notes: the saved notes lost their <img>"));
  if (image.complete && image.naturalWidth > 0) return image.decode().then(() => image.naturalWidth);
  return new Promise((resolve, reject) => {
    image.onload = () => image.decode().then(() => resolve(image.naturalWidth), reject);
    image.onerror = () => reject(new Error(`show notes: <img> could not load ${image.src}`));
  });
}

async function journey(api, username, password, result) {
  // Sign in: no token yet, so an empty Authorization header.
  const tokens = await api.call("login", "POST", "/api/api-token-auth/", { body: { username, password } });
  check(tokens.access && tokens.refresh, "login: no access or refresh token");
  api.token = tokens.access;

  let page = await api.call("list companies", "GET", "/api/companies/");
  check(page.count === 0 && page.results.length === 0, "list companies: a new account has companies");

  const company = saved(
    await api.call("create company", "POST", "/api/companies/", {
      expect: 201,
      body: blank({
        user: "",
        name: "Acme",
        hq_location: address({ city: "Springfield", country: "US" }),
        home_page: link("Home", "https://acme.example"),
        notes: "",
        labels: [chosenLabel("Target")],
        applications: [],
        ratings: {},
      }),
    }),
    "create company",
  );
  check(company.hq_location.city === "Springfield", "create company: hq_location not written");
  check(company.home_page.url === "https://acme.example", "create company: home_page not written");
  check(company.labels.map((l) => l.text).join() === "Target", "create company: labels not written");

  const other = saved(
    await api.call("create company with blank links", "POST", "/api/companies/", {
      expect: 201,
      body: blank({
        user: "",
        name: "Globex",
        hq_location: address(),
        home_page: link(),
        notes: "",
        labels: [],
        applications: [],
        ratings: {},
      }),
    }),
    "create company with blank links",
  );

  const detail = await api.call("read company", "GET", `/api/companies/${company.uuid}/`);
  check(detail.uuid === company.uuid && detail.modified_at, "read company: no uuid or modified_at");

  const application = saved(
    await api.call("create application", "POST", "/api/applications/", {
      expect: 201,
      body: blank({
        user: "",
        user_company: company.uuid,
        position_title: "Backend engineer",
        job_description_page: link("Posting", "https://jobs.example/42"),
        job_source: link(),
        position_locations: [blank({ location: address({ city: "Remote" }) })],
        labels: {},
        notes: "<p>Referred by Sam</p>",
        job_description_notes: "",
        statuses: [],
      }),
    }),
    "create application",
  );
  check(application.user_company === company.uuid, "create application: wrong company");
  check(application.labels.length === 0, "create application: labels: {} must mean no labels");
  check(application.position_locations[0].location.city === "Remote", "create application: no location");

  const status = saved(
    await api.call("create status", "POST", "/api/application-statuses/", {
      expect: 201,
      body: blank({
        application: application.uuid,
        text: "Applied",
        date: "2024-03-01",
        order: 0,
        applicationstatuslink_set: [
          blank({ application_status: "", user: {}, link: link("Confirmation", "mail://inbox/1") }),
        ],
      }),
    }),
    "create status",
  );
  const statusLinks = status.applicationstatuslink_set;
  check(statusLinks.length === 1 && statusLinks[0].application_status === status.uuid, "create status: link");

  // The company page, then a label chosen there: the client PATCHes the whole object back as it read it.
  const shown = await api.call("read company page", "GET", `/api/companies/${company.uuid}/`);
  check(shown.applications[0].statuses[0].uuid === status.uuid, "read company page: status not shown");
  const patched = saved(
    await api.call("patch company with a new label", "PATCH", `/api/companies/${company.uuid}/`, {
      body: { ...shown, labels: [...shown.labels, chosenLabel("Interviewing")] },
    }),
    "patch company with a new label",
  );
  check(patched.labels.map((l) => l.text).join() === "Target,Interviewing", "patch company: labels");
  check(patched.applications.length === 1, "patch company: the echoed applications changed them");
  check(patched.hq_location.uuid === shown.hq_location.uuid, "patch company: hq_location replaced");

  // The label board: drag both companies to other columns, one batch PATCH.
  const batch = await api.call("batch patch labels", "PATCH", "/api/companies/", {
    body: [
      { ...patched, labels: [chosenLabel("Applied")], applications: [] },
      { ...other, labels: [chosenLabel("Archived")], applications: [] },
    ],
  });
  check(Array.isArray(batch) && batch.length === 2, "batch patch labels: not a list of two");
  batch.forEach((item) => saved(item, "batch patch labels"));
  check(batch[0].labels.map((l) => l.text).join() === "Applied", "batch patch labels: first company");
  check(batch[1].labels.map((l) => l.text).join() === "Archived", "batch patch labels: second company");

  // Apollo's default endpoint has no trailing slash.
  const dashboard = await api.call("dashboard query", "POST", "/graphql", {
    headers: { accept: "*/*", authorization: `JWT ${api.token}`, "content-type": "application/json" },
    body: { operationName: null, variables: {}, query: DASHBOARD_QUERY },
  });
  check(!dashboard.errors, `dashboard query: ${JSON.stringify(dashboard.errors)}`);
  const connection = dashboard.data.companies;
  check(connection.__typename && connection.totalCount === 1 && connection.count === 1, "dashboard: counts");
  const node = connection.edges[0].node;
  check(node.name === "Acme" && node.__typename, "dashboard query: wrong company");
  check(node.applications.map((a) => a.uuid).join() === application.uuid, "dashboard query: applications");

  // An image pasted into the application's notes: uploaded as FormData, its URL put in the notes, which
  // are saved with a newly chosen label by PATCHing the application back whole, then shown.
  const form = new FormData();
  form.append("file", await drawnPng(64, 48), "pasted.png");
  const upload = await api.call("upload image", "POST", "/api/private-image/", { form });
  check(typeof upload.image_url === "string" && upload.image_url.startsWith("http"), "upload image: no image_url");
  result.imageUrl = upload.image_url;
  const echoed = batch[0].applications[0];
  check(echoed && echoed.uuid === application.uuid, "batch patch labels: `applications: []` touched them");
  const notes = `<p>Referred by Sam</p><p><img src="${upload.image_url}"></p>`;
  const edited = saved(
    await api.call("patch application notes and label", "PATCH", `/api/applications/${application.uuid}/`, {
      body: { ...echoed, notes, labels: [...echoed.labels, chosenLabel("Interviewing")] },
    }),
    "patch application notes and label",
  );
  check(edited.labels.map((l) => l.text).join() === "Interviewing", "patch application: labels");
  check(edited.statuses.length === 1 && edited.position_locations.length === 1, "patch application: lost parts");
  result.imageWidth = await showNotes(edited.notes);
  check(result.imageWidth === 64, `show notes: naturalWidth ${result.imageWidth}`);

  // The access token has run out: the 401 must be readable cross-origin, so the client refreshes (with
  // blanks besides `refresh`, and no token: an empty Authorization header) and retries with the new token.
  const applied = "/api/companies/?labels__text=Applied";
  await api.call("stale token is refused", "GET", applied, { token: `${tokens.access}x`, expect: 401 });
  const refreshed = await api.call("refresh token", "POST", "/api/api-token-refresh/", {
    token: "",
    body: blank({ refresh: tokens.refresh }),
  });
  check(refreshed.access && refreshed.access !== tokens.access, "refresh token: no new access token");
  api.token = refreshed.access;
  page = await api.call("retry with the new token", "GET", applied);
  check(page.count === 1 && page.results[0].uuid === company.uuid, "retry with the new token: wrong companies");

  // Deletes carry the object as a JSON body.
  await api.call("delete status", "DELETE", `/api/application-statuses/${status.uuid}/`, { body: status, expect: 204 });
  await api.call("delete application", "DELETE", `/api/applications/${application.uuid}/`, {
    body: application,
    expect: 204,
  });
  for (const item of batch) {
    await api.call("delete company", "DELETE", `/api/companies/${item.uuid}/`, { body: item, expect: 204 });
  }

  page = await api.call("list companies again", "GET", "/api/companies/");
  check(page.count === 0 && page.results.length === 0, "list companies again: companies are left");
  // An error the client must be able to read cross-origin: the deleted company's page.
  await api.call("deleted company is gone", "GET", `/api/companies/${company.uuid}/`, { expect: 404 });
}

/** Run the whole journey (within `seconds`); never throws, so the test always gets the calls made so far. */
async function runJourney({ api: base, username, password, seconds = 45 }) {
  const api = new Api(base);
  const result = { calls: api.calls, imageUrl: null, imageWidth: null, error: null };
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the journey took more than ${seconds} s`)), seconds * 1000);
  });
  try {
    await Promise.race([journey(api, username, password, result), deadline]);
  } catch (error) {
    result.error = String(error && error.message ? error.message : error);
  } finally {
    clearTimeout(timer);
  }
  return result;
}

window.runJourney = runJourney;
