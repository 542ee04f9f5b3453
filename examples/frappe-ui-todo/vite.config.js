// Build the ToDo front end into the app package, where docframe serves it:
//   index.html  -> frappe_ui_todo/public/frontend/index.html   (the page at /todo, see hooks.py)
//   assets      -> /assets/frappe_ui_todo/frontend/assets/...   (hashed, cached for a year)
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import frappeui from 'frappe-ui/vite'

export default defineConfig({
  plugins: [
    // Only frappe-ui's icon plugin is needed: docframe injects the boot values itself, serves the
    // build from the app package, and the dev proxy is configured below.
    frappeui({ frappeProxy: false, jinjaBootData: false, buildConfig: false, lucideIcons: true }),
    vue(),
  ],
  base: '/assets/frappe_ui_todo/frontend/',
  build: {
    outDir: 'frappe_ui_todo/public/frontend',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    // `npm run dev` against a local `docframe serve --port 8000`.
    proxy: { '^/(api|assets|files|private|login|socket.io)': 'http://127.0.0.1:8000' },
  },
})
