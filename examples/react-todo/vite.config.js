// Build the ToDo front end into the app package, where docframe serves it:
//   index.html  -> react_todo/public/frontend/index.html   (the page at /react-todo, see hooks.py)
//   assets      -> /assets/react_todo/frontend/assets/...   (hashed, cached for a year)
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

export default defineConfig({
  plugins: [react()],
  base: '/assets/react_todo/frontend/',
  build: {
    outDir: 'react_todo/public/frontend',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    // `npm run dev` against a local `docframe serve --port 8000`.
    proxy: { '^/(api|assets|files|private|login|socket.io)': 'http://127.0.0.1:8000' },
  },
})
