// A small signed-in console client over fetch for the people tests: sign in, read a page's CSRF
// token, post a form or a multipart upload with the right Origin.
export class ConsoleClient {
  private constructor(
    readonly url: string,
    readonly cookie: string,
  ) {}

  static async signIn(url: string, username: string, password: string): Promise<ConsoleClient> {
    const response = await fetch(`${url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, password }).toString(),
    });
    if (response.status !== 302) throw new Error(`sign-in of ${username}: ${response.status}`);
    return new ConsoleClient(url, (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '');
  }

  get(path: string): Promise<Response> {
    return fetch(`${this.url}${path}`, { headers: { cookie: this.cookie }, redirect: 'manual' });
  }

  /** The CSRF token of a page this account may open (the home page if none is given). */
  async csrf(path = '/console/password'): Promise<string> {
    const html = await (await this.get(path)).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!token) throw new Error(`no CSRF token on ${path}`);
    return token;
  }

  async postForm(path: string, fields: Record<string, string>): Promise<Response> {
    const body = new URLSearchParams({ _csrf: await this.csrf(), ...fields }).toString();
    return fetch(`${this.url}${path}`, { method: 'POST', redirect: 'manual', headers: { cookie: this.cookie, origin: this.url, 'content-type': 'application/x-www-form-urlencoded' }, body });
  }

  async upload(csv: string, skipBad: boolean): Promise<Response> {
    const form = new FormData();
    form.set('_csrf', await this.csrf());
    if (skipBad) form.set('skipBad', '1');
    form.set('file', new Blob([csv], { type: 'text/csv' }), 'class.csv');
    return fetch(`${this.url}/console/people/import`, { method: 'POST', redirect: 'manual', headers: { cookie: this.cookie, origin: this.url }, body: form });
  }
}
