// Prepend each post the server announces over the websocket.
const list = document.getElementById("posts");
const socket = new WebSocket(list.dataset.liveUrl);
socket.addEventListener("message", (event) => {
  const message = JSON.parse(event.data);
  if (message.type !== "post") return;
  const item = document.createElement("li");
  const name = document.createElement("b");
  const time = document.createElement("time");
  const body = document.createElement("p");
  name.textContent = message.post.username;
  time.textContent = message.post.created;
  body.textContent = message.post.body;
  item.append(name, " ", time, body);
  list.querySelector(".empty")?.remove();
  list.prepend(item);
});
