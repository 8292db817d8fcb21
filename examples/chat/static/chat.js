// The chat page: one websocket, messages shown as they arrive, reconnects after a drop.
(function () {
  "use strict";
  const list = document.getElementById("messages");
  const state = document.getElementById("state");
  const online = document.getElementById("online");
  const form = document.getElementById("send");
  const user = document.getElementById("user");
  const message = document.getElementById("message");
  // Build the URL from the page's own location so a proxy or another host name still works.
  const path = new URL(window.CHAT_URL).pathname;
  const base = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  let socket = null;
  let retry = 500;

  user.value = localStorage.getItem("chat-name") || "";
  user.addEventListener("change", function () {
    localStorage.setItem("chat-name", user.value.trim());
  });

  function name() {
    return user.value.trim() || "Anonymous";
  }

  // One line of the pane; text goes in with textContent, never innerHTML: it is untrusted.
  function show(kind, text, seconds) {
    const item = document.createElement("li");
    item.className = kind;
    if (seconds !== undefined) {
      const time = document.createElement("time");
      const when = new Date(seconds * 1000);
      time.dateTime = when.toISOString();
      time.textContent = clock.format(when);
      item.appendChild(time);
      item.appendChild(document.createTextNode(" "));
    }
    item.appendChild(document.createTextNode(text));
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  function connect() {
    socket = new WebSocket(base + "?user=" + encodeURIComponent(name()));
    socket.onopen = function () { retry = 500; state.textContent = "Connected,"; };
    socket.onmessage = function (event) {
      const data = JSON.parse(event.data);
      if (typeof data.count === "number") online.textContent = data.count;
      if (data.type === "message") {
        show("message", data.user + ": " + data.message, data.timestamp);
      } else if (data.type === "user_joined") {
        show("system", (data.user || "Someone") + " joined.");
      } else if (data.type === "user_left") {
        show("system", (data.user || "Someone") + " left.");
      } else if (data.type === "gap") {
        show("system", "Some messages may have been missed while reconnecting.");
      } else {
        show(data.type === "error" ? "error" : "system", data.message);
      }
    };
    socket.onclose = function () {
      state.textContent = "Disconnected, retrying\u2026";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!socket || socket.readyState !== WebSocket.OPEN || !message.value) return;
    socket.send(JSON.stringify({ user: name(), message: message.value }));
    show("mine", name() + ": " + message.value, Date.now() / 1000);
    message.value = "";
  });

  connect();
})();
