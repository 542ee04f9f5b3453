import { createApp } from 'vue'
import { FrappeUI, frappeRequest, setConfig } from 'frappe-ui'
import App from './App.vue'
import './style.css'

// Resources (createResource, createListResource) call the server through frappeRequest, which
// sends window.csrf_token and X-Frappe-Site-Name like every frappe-ui app.
setConfig('resourceFetcher', frappeRequest)

const app = createApp(App)
// FrappeUI installs the resources plugin and opens the Socket.IO connection ($socket) that
// createListResource({ realtime: true }) listens on. docframe puts the port in the page's boot
// values (window.socketio_port, from the site's socketio_port; Frappe's default is 9000).
app.use(FrappeUI, { socketio: { port: window.socketio_port } })
app.mount('#app')
