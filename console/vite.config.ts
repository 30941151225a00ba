// The console: a SvelteKit single-page app, built to console/build, which the gateway serves.
import adapter from '@sveltejs/adapter-static';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [
    sveltekit({
      adapter: adapter({ pages: 'build', assets: 'build', fallback: '200.html', strict: false }),
      files: { src: 'web', routes: 'web/routes', appTemplate: 'web/app.html', assets: 'web/static' },
    }),
  ],
  build: { chunkSizeWarningLimit: 300 },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
