// Which storage a location names: postgres:// and postgresql:// URLs are PostgreSQL; a path, a
// sqlite: or sqlite:// URL is SQLite; any other scheme is refused rather than taken for a file name.
import { describe, expect, it } from 'vitest';
import { parseStorageLocation } from '../../hub/index.js';
import { databaseLocation, defaultAdminTokenFile } from '../../hub/hub-config.js';

describe('hub storage location', () => {
  it('tells PostgreSQL URLs from SQLite files', () => {
    expect(parseStorageLocation('postgres://u:p@db:5432/esik')).toEqual({ kind: 'postgres', url: 'postgres://u:p@db:5432/esik' });
    expect(parseStorageLocation('postgresql://db/esik?sslmode=require')).toEqual({ kind: 'postgres', url: 'postgresql://db/esik?sslmode=require' });
    expect(parseStorageLocation('var/hub.db')).toEqual({ kind: 'sqlite', file: 'var/hub.db' });
    expect(parseStorageLocation('sqlite:var/hub.db')).toEqual({ kind: 'sqlite', file: 'var/hub.db' });
    expect(parseStorageLocation('sqlite:///srv/esik/hub.db')).toEqual({ kind: 'sqlite', file: '/srv/esik/hub.db' });
    expect(() => parseStorageLocation('mysql://db/esik')).toThrow(/unsupported database URL scheme/);
  });

  it('defaults to hub.db in the state folder, flags first, then the environment', () => {
    expect(databaseLocation({}, { ESIK_HUB_STATE_DIR: '/srv/hub' })).toBe('/srv/hub/hub.db');
    expect(databaseLocation({}, { ESIK_HUB_DATABASE_URL: 'postgres://db/esik', ESIK_HUB_STATE_DIR: '/srv/hub' })).toBe('postgres://db/esik');
    expect(databaseLocation({ db: 'a.db' }, { ESIK_HUB_DATABASE_URL: 'postgres://db/esik' })).toBe('a.db');
    expect(databaseLocation({ database: 'postgres://db/x' }, {})).toBe('postgres://db/x');
    expect(() => databaseLocation({ database: 'a.db', db: 'b.db' }, {})).toThrow(/pass one/);
    expect(defaultAdminTokenFile('/srv/school/hub.db', {})).toBe('/srv/school/hub-admin-token');
    expect(defaultAdminTokenFile('postgres://db/esik', { ESIK_HUB_STATE_DIR: '/srv/hub' })).toBe('/srv/hub/hub-admin-token');
  });
});
