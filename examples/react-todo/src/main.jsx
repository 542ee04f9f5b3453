import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { FrappeProvider } from 'frappe-react-sdk'
import App from './App.jsx'
import './style.css'

// url '' = this page's origin. The Socket.IO connection goes to <host>:<socketPort>/<siteName>;
// docframe puts both in the page's boot values (window.socketio_port, window.site_name).
createRoot(document.getElementById('root')).render(
  <StrictMode>
    <FrappeProvider url="" siteName={window.site_name} socketPort={String(window.socketio_port || 9000)}>
      <App />
    </FrappeProvider>
  </StrictMode>,
)
