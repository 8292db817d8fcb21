// The chat page: one websocket, messages shown as they arrive, reconnects after a drop.
(function () {
  "use strict";
  const list = document.getElementById("messages");
  const status = document.getElementById("status");
  const online = document.getElementById("online");
  const form = document.getElementById("send");
  const user = document.getElementById("user");
  const message = document.getElementById("message");
  // Build the URL from the page's own location so a proxy or another host name still works.
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + new URL(window.CHAT_URL).pathname;
  let socket = null;
  let retry = 500;

  function show(text, kind) {
    const item = document.createElement("li");
    item.className = kind;
    item.textContent = text;  // textContent, never innerHTML: messages are untrusted
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  function connect() {
    socket = new WebSocket(url);
    socket.onopen = function () { retry = 500; status.firstChild.textContent = "Connected, "; };
    socket.onmessage = function (event) {
      const data = JSON.parse(event.data);
      if (typeof data.count === "number") online.textContent = data.count;
      if (data.type === "message") {
        show(data.user + ": " + data.message, "message");
      } else if (data.type === "user_joined" || data.type === "user_left") {
        show(data.type === "user_joined" ? "Someone joined." : "Someone left.", "system");
      } else {
        show(data.message, data.type);
      }
    };
    socket.onclose = function () {
      status.firstChild.textContent = "Disconnected, retrying\u2026 ";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!socket || socket.readyState !== WebSocket.OPEN || !message.value) return;
    const name = user.value || "Anonymous";
    socket.send(JSON.stringify({ user: name, message: message.value }));
    show(name + ": " + message.value, "mine");
    message.value = "";
  });

  connect();
})();
