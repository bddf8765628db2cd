// Jaga's map component (docs/maps.md). Every <div data-map> rendered by {% jaga_map %} becomes a
// Leaflet map: an optional basemap from MAP_TILE_URL, the GeoJSON layers named in its data-
// attributes, and (with data-picker-lat/-lon) a location picker that writes into the form's
// latitude/longitude inputs. Without a tile server the map still shows village centres, cells
// and names on a plain background. Server strings reach the page only through textContent.
(function () {
  "use strict";
  if (typeof L === "undefined") return;

  var LABEL_ZOOM = 13; // village names are drawn as labels from this zoom on (tooltips before)

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      });
  }

  function popupOf(p) {
    if (!p.title && !p.lines && !p.items) return null;
    var box = el("div", "jm-popup");
    if (p.title) box.appendChild(el("strong", "", p.title));
    (p.lines || []).forEach(function (line) { box.appendChild(el("div", "small", line)); });
    if (p.items && p.items.length) {
      var list = el("ul", "small");
      p.items.forEach(function (item) {
        var li = el("li");
        if (item.url) {
          var a = el("a", "", item.text);
          a.href = item.url;
          li.appendChild(a);
        } else {
          li.textContent = item.text;
        }
        if (item.note) li.appendChild(el("div", "muted", item.note));
        list.appendChild(li);
      });
      box.appendChild(list);
    }
    if (p.url) {
      var link = el("a", "", p.link_text || p.title || p.url);
      link.href = p.url;
      box.appendChild(el("div")).appendChild(link);
    }
    return box;
  }

  function radiusOf(p) {
    if (p.radius) return p.radius;
    if (p.count) return Math.min(6 + 3 * Math.sqrt(p.count), 26);
    return 7;
  }

  function geoLayer(data, opts) {
    return L.geoJSON(data, {
      pointToLayer: function (feature, latlng) {
        var p = feature.properties || {};
        return L.circleMarker(latlng, {
          radius: radiusOf(p),
          className: "jm-point jm-" + (p.kind || "point"),
          weight: 2,
          fillOpacity: 0.75,
        });
      },
      style: function (feature) {
        var p = (feature && feature.properties) || {};
        return { className: "jm-area jm-" + (p.kind || "area"), weight: 1, fillOpacity: 0.45 };
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties || {};
        var text = p.label || p.name;
        if (text) {
          var permanent = !!p.label || opts.labels;
          layer.bindTooltip(String(text), {
            permanent: permanent,
            direction: feature.geometry.type === "Point" ? "right" : "center",
            className: opts.labels ? "jm-label jm-village-label" : "jm-label",
            offset: feature.geometry.type === "Point" ? [6, 0] : [0, 0],
          });
        }
        var popup = popupOf(p);
        if (popup) layer.bindPopup(popup, { maxWidth: 280 });
        if (p.count && feature.geometry.type === "Point" && !p.label && !opts.labels) {
          layer.bindTooltip(String(p.name ? p.name + " · " + p.count : p.count), {
            direction: "top",
          });
        }
      },
    });
  }

  function addLegend(map, legend) {
    if (!legend || !legend.length) return;
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () {
      var box = el("div", "jm-legend");
      legend.forEach(function (entry) {
        var row = el("div");
        row.appendChild(el("span", "jm-swatch jm-" + entry.kind));
        row.appendChild(document.createTextNode(" " + entry.text));
        box.appendChild(row);
      });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
  }

  function setMessage(node, text) {
    var box = node.parentNode.querySelector("[data-map-message]");
    if (!box) return;
    box.textContent = text || "";
    box.hidden = !text;
  }

  function init(node) {
    if (node.getAttribute("data-map-ready")) return;
    node.setAttribute("data-map-ready", "1");
    var d = node.dataset;
    var map = L.map(node, { scrollWheelZoom: false, zoomControl: true, tap: true });
    var tiles = d.tiles || "";
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: d.attribution || "" }).addTo(map);
    } else {
      node.classList.add("jaga-map--plain");
    }
    var start = (d.centre || "").split(",").map(Number);
    if (start.length === 2 && !isNaN(start[0]) && !isNaN(start[1])) {
      map.setView(start, Number(d.zoom || 13));
    } else {
      map.setView([-2.5, 118], 5); // Indonesia, until a layer tells where to look
    }
    var main = L.latLngBounds([]);
    var context = L.latLngBounds([]);
    var pending = 1;

    function labelsByZoom() {
      node.classList.toggle("jm-zoomed-out", map.getZoom() < LABEL_ZOOM);
    }
    map.on("zoomend", labelsByZoom);
    labelsByZoom();

    function load(data, opts) {
      var layer = geoLayer(data, opts).addTo(map);
      if (opts.context) layer.bringToBack();
      if (layer.getLayers().length) (opts.context ? context : main).extend(layer.getBounds());
      if (!opts.context) {
        addLegend(map, data.legend);
        if (!layer.getLayers().length && data.empty_text) setMessage(node, data.empty_text);
      }
    }

    // Fit once every layer is in: to the data, else to the village centres around it.
    function done() {
      pending -= 1;
      if (pending > 0 || d.centre) return;
      var target = main.isValid() ? main : context;
      if (target.isValid()) map.fitBounds(target.pad(0.1), { maxZoom: 15 });
    }

    if (d.villages) {
      pending += 1;
      getJSON(d.villages)
        .then(function (data) { load(data, { labels: true, context: true }); })
        .catch(function () {})
        .then(done);
    }
    if (d.geojson) {
      pending += 1;
      getJSON(d.geojson)
        .then(function (data) { load(data, {}); })
        .catch(function () { setMessage(node, d.tFailed || ""); })
        .then(done);
    }
    if (d.data) {
      var script = document.getElementById(d.data);
      if (script) load(JSON.parse(script.textContent), {});
    }
    done();
    if (d.pickerLat && d.pickerLon) picker(node, map);
    node.jagaMap = map;
    // A map in a <details> or a tab that opens later has no size until then.
    if (window.ResizeObserver) {
      new ResizeObserver(function () { map.invalidateSize(); }).observe(node);
    }
  }

  function picker(node, map) {
    var d = node.dataset;
    var lat = document.getElementById(d.pickerLat);
    var lon = document.getElementById(d.pickerLon);
    var village = d.pickerVillage ? document.getElementById(d.pickerVillage) : null;
    var wrap = node.closest(".jaga-map-wrap") || node.parentNode;
    var status = wrap.querySelector("[data-map-status]");
    var pin = null;
    if (!lat || !lon) return;
    node.classList.add("jm-picking");

    function say(text) { if (status) status.textContent = text; }

    function nearest(latlng) {
      if (!d.searchUrl) return;
      var url = d.searchUrl + "?lat=" + latlng.lat.toFixed(6) + "&lon=" + latlng.lng.toFixed(6);
      getJSON(url).then(function (data) {
        var f = data.features && data.features[0];
        if (!f) { say(d.tOutside || ""); return; }
        var p = f.properties;
        say((d.tNear || "%s").replace("%s", p.name + (p.district ? ", " + p.district : "")));
        if (village && village.tagName === "SELECT") {
          var option = village.querySelector('option[value="' + p.code.replace(/"/g, "") + '"]');
          if (option) { village.value = p.code; village.dispatchEvent(new Event("change", { bubbles: true })); }
        }
      }).catch(function () {});
    }

    function place(latlng, fromInputs) {
      if (!pin) {
        pin = L.marker(latlng, {
          draggable: true,
          keyboard: true,
          title: d.tPin || "",
          alt: d.tPin || "",
          icon: L.divIcon({ className: "jm-pin", iconSize: [26, 26], iconAnchor: [13, 26] }),
        }).addTo(map);
        pin.on("dragend", function () { place(pin.getLatLng(), false); });
      } else {
        pin.setLatLng(latlng);
      }
      if (!fromInputs) {
        lat.value = latlng.lat.toFixed(6);
        lon.value = latlng.lng.toFixed(6);
        lat.dispatchEvent(new Event("change", { bubbles: true }));
      }
      nearest(latlng);
    }

    function fromInputs() {
      var a = parseFloat(lat.value), b = parseFloat(lon.value);
      if (isNaN(a) || isNaN(b) || Math.abs(a) > 90 || Math.abs(b) > 180) return false;
      place(L.latLng(a, b), true);
      return true;
    }

    map.on("click", function (e) { place(e.latlng, false); });
    [lat, lon].forEach(function (input) {
      input.addEventListener("input", function () {
        if (fromInputs()) map.panTo(pin.getLatLng());
      });
    });
    if (fromInputs()) map.setView(pin.getLatLng(), Math.max(map.getZoom(), 15));

    var locate = wrap.querySelector("[data-map-locate]");
    if (locate && navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        say(d.tLocating || "");
        navigator.geolocation.getCurrentPosition(
          function (pos) {
            var here = L.latLng(pos.coords.latitude, pos.coords.longitude);
            map.setView(here, 16);
            place(here, false);
          },
          function () { say(d.tNoLocation || ""); },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
        );
      });
    }

    var search = wrap.querySelector("[data-map-search]");
    var results = wrap.querySelector("[data-map-results]");
    if (search && results && d.searchUrl) {
      search.closest("[data-map-search-box]").hidden = false;
      var timer = null;
      var asked = "";
      search.addEventListener("keydown", function (e) {
        if (e.key === "Enter") e.preventDefault(); // searching must never submit the report
      });
      search.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var q = search.value.trim();
          if (q === asked) return;
          asked = q;
          results.textContent = "";
          if (q.length < 2) return;
          getJSON(d.searchUrl + "?q=" + encodeURIComponent(q)).then(function (data) {
            if (search.value.trim() !== q) return;
            results.textContent = "";
            if (!data.features.length) { results.appendChild(el("li", "muted", d.tNoMatch || "")); return; }
            data.features.forEach(function (f) {
              var p = f.properties;
              var b = el("button", "link", p.name + (p.district ? " · " + p.district : ""));
              b.type = "button";
              b.addEventListener("click", function () {
                results.textContent = "";
                search.value = p.name;
                var c = f.geometry && f.geometry.coordinates;
                if (c) map.setView([c[1], c[0]], 15);
                if (village && village.tagName === "SELECT") {
                  var option = village.querySelector('option[value="' + p.code.replace(/"/g, "") + '"]');
                  if (option) { village.value = p.code; village.dispatchEvent(new Event("change", { bubbles: true })); }
                }
                say(c ? (d.tTapHere || "") : (d.tNoCentre || ""));
              });
              results.appendChild(el("li")).appendChild(b);
            });
          }).catch(function () {});
        }, 250);
      });
    }
  }

  function start() {
    document.querySelectorAll("[data-map]").forEach(init);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
