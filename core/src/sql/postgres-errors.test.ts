import { describe, expect, it } from 'vitest';
import { describeConnectError, redactDatabaseUrl } from './postgres-errors.js';

describe('redactDatabaseUrl', () => {
  it.each([
    ['postgres://ioc:s3cret@db.tinh.gov.vn:6432/ioc', 'postgres://ioc@db.tinh.gov.vn:6432/ioc'],
    ['postgresql://ioc:p%40ss@10.0.0.5/ioc?sslmode=require', 'postgresql://ioc@10.0.0.5:5432/ioc'],
    ['postgres://db/ioc?password=s3cret', 'postgres://db:5432/ioc'],
    ['postgres://', 'postgres://localhost:5432'],
  ])('%s → %s', (url, shown) => {
    expect(redactDatabaseUrl(url)).toBe(shown);
  });

  it('says so instead of echoing a URL it cannot parse', () => {
    expect(redactDatabaseUrl('postgres://a:b@[bad')).toBe('(an unparsable DATABASE_URL)');
  });
});

describe('describeConnectError', () => {
  const url = 'postgres://ioc:p%40ss-w0rd@db:5432/ioc?password=q-s3cret';

  it('keeps the password out of a driver message that quotes it', () => {
    const err = describeConnectError(
      new Error(`weird failure for ${url} using p@ss-w0rd and q-s3cret\nsecond line`),
      url,
    );
    expect(err.code).toBe('SQL_OPEN_FAILED');
    expect(err.message).toBe(
      'cannot open PostgreSQL at postgres://ioc@db:5432/ioc (weird failure for postgres://ioc@db:5432/ioc using *** and ***); check the server and DATABASE_URL',
    );
  });

  it('reads the network code of an AggregateError (IPv4 and IPv6 both refused)', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), {
      code: 'ECONNREFUSED',
    });
    const err = describeConnectError(new AggregateError([inner], ''), url);
    expect(err.code).toBe('SQL_UNREACHABLE');
    expect(err.message).toBe(
      'cannot reach PostgreSQL at postgres://ioc@db:5432/ioc (ECONNREFUSED); start it or fix DATABASE_URL',
    );
  });

  it('calls a connection timeout unreachable', () => {
    const err = describeConnectError(
      new Error('Connection terminated due to connection timeout'),
      url,
    );
    expect(err.code).toBe('SQL_UNREACHABLE');
    expect(err.message).toContain('(no answer in time)');
  });
});
