// Practice review: comment buttons seek the player; the comment's moment follows the player
// until the reviewer types one. No inline script (CSP, decision 0005).
(function () {
  "use strict";
  var player = document.getElementById("practice-player");
  if (!player) return;
  var at = document.getElementById("comment-at");
  var typed = false;
  if (at) {
    at.addEventListener("input", function () { typed = true; });
    player.addEventListener("timeupdate", function () {
      if (!typed) at.value = String(Math.floor(player.currentTime));
    });
  }
  document.querySelectorAll("button.seek").forEach(function (button) {
    button.addEventListener("click", function () {
      player.currentTime = Number(button.dataset.second);
      player.play();
    });
  });
})();
