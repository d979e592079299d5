-- The server's state for the user: goldcrest/status notifications (statusline, a message when
-- the backend goes offline or errs, a `User GoldcrestStatus` event) and $/progress echoes.
-- Installed on the plugin's module by init.lua, whose config and state it reads and sets.
local U = require("goldcrest.util")

local echo, clients = U.echo, U.clients

--- Add M.status_text, M.statusline and M.handlers to `M`.
return function(M)
  --- One line for `st` (goldcrest/status params), as the statusline and :GoldcrestStatus show it.
  function M.status_text(st)
    if not st then
      return "Goldcrest"
    end
    local text = "Goldcrest: " .. (st.state or "?")
    local model = {}
    if st.backend and st.backend ~= "" then
      table.insert(model, st.backend)
    end
    if st.model and st.model ~= "" then
      table.insert(model, st.model)
    end
    if #model > 0 then
      text = text .. " · " .. table.concat(model, "/")
    end
    if M.last_tier then
      text = text .. " · " .. M.last_tier
    end
    if M.config.settings and M.config.settings.completion and M.config.settings.completion.enabled == false then
      text = text .. " (paused)"
    end
    return text
  end

  --- One line for a statusline: `%{v:lua.require'goldcrest'.statusline()}`.
  function M.statusline()
    if #clients() == 0 then
      return ""
    end
    return M.status_text(M.status)
  end

  local function on_status(err, params)
    if err or type(params) ~= "table" then
      return
    end
    local previous = M.status and M.status.state
    M.status = params
    if params.tier ~= nil and params.tier ~= vim.NIL and params.tier ~= "" then
      M.last_tier = params.tier
    end
    if M.config.notify_status and params.state ~= previous and (params.state == "offline" or params.state == "error") then
      local msg = params.message
      if msg == nil or msg == vim.NIL then
        msg = params.state == "offline" and "the model backend is down" or "error"
      end
      echo("Goldcrest: " .. msg, params.state == "error" and "ErrorMsg" or "WarningMsg")
    end
    U.fire_user_event("GoldcrestStatus", params)
  end

  local function progress_handler(err, result, ctx, config)
    local default = vim.lsp.handlers["$/progress"]
    if default then
      pcall(default, err, result, ctx, config)
    end
    if not M.config.progress or err or type(result) ~= "table" or type(result.value) ~= "table" then
      return
    end
    local value = result.value
    local parts = {}
    if value.kind == "begin" then
      M._progress_title = value.title
    end
    local title = value.title or M._progress_title or "working"
    if not title:find("^Goldcrest") then
      table.insert(parts, "Goldcrest:")
    end
    table.insert(parts, title)
    if value.message and value.message ~= vim.NIL then
      table.insert(parts, value.message)
    end
    if value.percentage and value.percentage ~= vim.NIL then
      table.insert(parts, string.format("(%d%%)", value.percentage))
    end
    if value.kind == "end" then
      table.insert(parts, "done")
    end
    M.last_progress = table.concat(parts, " ")
    echo(M.last_progress)
  end

  --- The notification handlers the client is started with.
  function M.handlers()
    return {
      ["goldcrest/status"] = on_status,
      ["$/progress"] = progress_handler,
    }
  end
end
