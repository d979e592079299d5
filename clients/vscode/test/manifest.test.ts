import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { RESTRICTED_SETTINGS } from '../src/settings';

const dir = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
const props: Record<string, { scope?: string }> = pkg.contributes.configuration.properties;

// The Marketplace's and Open VSX's category list.
const CATEGORIES = new Set([
  'AI', 'Azure', 'Chat', 'Data Science', 'Debuggers', 'Education', 'Extension Packs', 'Formatters', 'Keymaps',
  'Language Packs', 'Linters', 'Machine Learning', 'Notebooks', 'Other', 'Programming Languages', 'SCM Providers',
  'Snippets', 'Testing', 'Themes', 'Visualization',
]);

function pngSize(file: string): { width: number; height: number } {
  const buf = fs.readFileSync(file);
  assert.equal(buf.subarray(1, 4).toString('latin1'), 'PNG', `${file} is not a PNG`);
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

describe('settings that name programs or files', () => {
  const paths = RESTRICTED_SETTINGS.map((k) => `goldcrest.${k}`);
  it('apply from user settings in remote windows too (code-server, SSH)', () => {
    // VS Code ignores user-level values of machine / machine-overridable settings in a remote
    // window: goldcrest.serverPath set in code-server's user settings was silently dropped.
    for (const key of paths) {
      assert.ok(!['machine', 'machine-overridable'].includes(props[key].scope ?? ''), `${key}: scope ${props[key].scope}`);
    }
  });
  it('are not taken from an untrusted workspace', () => {
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.deepEqual([...pkg.capabilities.untrustedWorkspaces.restrictedConfigurations].sort(), [...paths].sort());
  });
});

describe('marketplace and Open VSX metadata', () => {
  it('names the publisher, version, license and repository', () => {
    assert.match(pkg.publisher, /^[a-z0-9][a-z0-9-]*$/);
    assert.match(pkg.name, /^[a-z0-9][a-z0-9-]*$/);
    assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
    assert.equal(pkg.license, 'Apache-2.0');
    assert.ok(fs.existsSync(path.join(dir, 'LICENSE')));
    assert.match(pkg.repository.url, /^https:\/\/github\.com\/.+\.git$/);
    assert.ok(pkg.displayName && pkg.description.length > 40);
  });
  it('packages README links that point into the repository folder of the extension', () => {
    const base = `${pkg.repository.url.replace(/\.git$/, '')}/raw/HEAD/${pkg.repository.directory}`;
    assert.ok(pkg.scripts.package.includes(`--baseImagesUrl ${base} `), pkg.scripts.package);
  });
  it('has an icon of at least 128x128 pixels, packaged', () => {
    const { width, height } = pngSize(path.join(dir, pkg.icon));
    assert.ok(width >= 128 && width === height, `${width}x${height}`);
    const ignore = fs.readFileSync(path.join(dir, '.vscodeignore'), 'utf8');
    assert.ok(ignore.split('\n').includes(`!${pkg.icon}`), 'the icon is left out of the package');
  });
  it('has known categories and a few keywords', () => {
    for (const c of pkg.categories) {
      assert.ok(CATEGORIES.has(c), c);
    }
    assert.ok(pkg.keywords.length >= 5 && pkg.keywords.length <= 30);
  });
  it('has a CHANGELOG entry for this version, and README images that exist', () => {
    assert.match(fs.readFileSync(path.join(dir, 'CHANGELOG.md'), 'utf8'), new RegExp(`^## ${pkg.version.replace(/\./g, '\\.')}\\b`, 'm'));
    const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
    assert.ok(images.length >= 3, 'the README shows screenshots');
    for (const image of images) {
      assert.ok(!/^https?:/.test(image), `${image}: keep README images in the repository`);
      assert.ok(fs.existsSync(path.join(dir, image)), `${image} is missing`);
    }
  });
});
