// Who is signed in, shared by every page.
import { api, type User } from './api.ts';

export const session = $state<{ user?: User; checked: boolean }>({ checked: false });

export async function loadSession(): Promise<void> {
  try {
    session.user = await api<User>('GET', '/session');
  } catch {
    session.user = undefined;
  }
  session.checked = true;
}
