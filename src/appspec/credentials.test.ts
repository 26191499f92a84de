import { describe, expect, it } from 'vitest';
import { isCredentialName, isLiteralCredential, urlPasswords } from './credentials.ts';

describe('isCredentialName: by substring, not whole words', () => {
  it.each([
    ['DB_PASSWORD', true],
    ['WEBPASSWORD', true], // pi-hole: one word, the old whole-word rule missed it
    ['PG_PASS', true],
    ['PIHOLE_PW', true],
    ['AUTHENTIK_SECRET_KEY', true],
    ['SECRET_KEY_BASE', true],
    ['githubToken', true],
    ['GITHUB_TOKEN', true],
    ['API_KEY', true],
    ['STRIPE_APIKEY', true],
    ['APP_KEY', true],
    ['WORDPRESS_NONCE_SALT', true],
    ['MINIO_ROOT_PASSWORD', true],
    ['DB_PWD', true],
    ['SECRET_PATH', true], // only the value tells (see isLiteralCredential)
    ['POSTGRES_PASSWORD_FILE', true],
    ['PWD', false], // the shell's working directory
    ['BYPASS_CACHE', false],
    ['COMPASS_URL', false],
    ['MAX_TOKENS', false],
    ['TOKENIZERS_PARALLELISM', false],
    ['LOCAL_MODE_PASSWORDLESS', false],
    ['TOKEN_TTL', false],
    ['PASSWORD_MIN_LENGTH', false],
    ['AWS_ACCESS_KEY_ID', false],
    ['DB_USER', false],
    ['SECRET_NAME', false],
    ['PARTITION_KEY', false],
    ['RECAPTCHA_SITE_KEY', false],
    ['REDIS_KEY_PREFIX', false],
    ['DATABASE_URL', false],
    ['LOG_LEVEL', false],
    ['MARKET_DATA_API_KEY', true],
    ['AWS_SECRET_ACCESS_KEY', true],
    ['KEYCLOAK_USER', false],
    ['SORT_KEY', false],
  ])('%s → %s', (name, expected) => {
    expect(isCredentialName(name)).toBe(expected);
  });
});

describe('isLiteralCredential: the value decides for paths, booleans and references', () => {
  it.each([
    ['DB_PASSWORD', 'hunter2', true],
    ['DB_PASSWORD', '', false],
    ['DB_PASSWORD', '$(DB_PASSWORD_FROM_SECRET)', false],
    ['DB_PASSWORD', '${DB_PASSWORD}', false],
    ['PASSWORD_AUTH', 'true', false],
    ['POSTGRES_PASSWORD_FILE', '/run/secrets/db_password', false],
    ['DB_PASSWORD_FILE', 'hunter2', true],
    ['SECRET_PATH', 'pwndrop', true],
    ['SECRET_PATH', '/pwndrop', false],
    ['LOG_LEVEL', 'hunter2', false],
  ])('%s=%s → %s', (name, value, expected) => {
    expect(isLiteralCredential(name, value)).toBe(expected);
  });
});

describe('urlPasswords', () => {
  it.each([
    ['mysql://root:secret@db/app', ['secret']],
    ['redis://:s3cr3t@cache:6379/0', ['s3cr3t']],
    ['mongodb://app:p%40ss@m1:27017,m2:27017/db?replicaSet=rs', ['p%40ss']],
    ['url = postgres://a:b@h/x\nother = amqp://guest:guest@rabbit:5672/', ['b', 'guest']],
    ['postgres://app:$(DB_PASSWORD)@db/app', []],
    ['postgres://app:${DB_PASSWORD}@db/app', []],
    ['https://user@example.com/x', []],
    ['http://api:8080/path', []],
    ['https://***:***@example.com', []],
  ])('%s', (text, expected) => {
    expect(urlPasswords(text).map((p) => p.password)).toEqual(expected);
  });

  it('gives the offsets of the password', () => {
    const text = 'DSN=mysql://root:secret@db/app';
    const [pw] = urlPasswords(text);
    expect(pw && text.slice(pw.start, pw.end)).toBe('secret');
    expect(pw).toMatchObject({ scheme: 'mysql', user: 'root' });
  });
});
