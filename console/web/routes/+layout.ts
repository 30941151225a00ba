// A single-page app: the data comes from the gateway with the user's session, in the browser.
export const ssr = false;
export const prerender = false;
