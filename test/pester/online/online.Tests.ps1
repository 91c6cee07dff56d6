# Pester 5 suite for the rendered online hardening script (src/baseline/scripts/online.ps1), run on the
# simulated Windows machine of SimulatedWindows.ps1. online.test.ts renders the scripts and runs this file.
param([string]$ScriptDir)

BeforeAll {
  . (Join-Path $PSScriptRoot 'SimulatedWindows.ps1')
  $Enforce = Join-Path $ScriptDir 'enforce.ps1'
  $Audit = Join-Path $ScriptDir 'audit.ps1'
  $Reboot = Join-Path $ScriptDir 'reboot.ps1'
  $Stop = Join-Path $ScriptDir 'stop.ps1'
  $Port = Join-Path $ScriptDir 'port.ps1'
  $Plain = Join-Path $ScriptDir 'plain.ps1'
  function New-Machine { New-SimMachine (Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))) }
  # The index of the first call matching a wildcard pattern (-1 when none).
  function Find-Call($m, $Pattern) { for ($i = 0; $i -lt $m.Calls.Count; $i++) { if ($m.Calls[$i] -like $Pattern) { return $i } }; -1 }
  # Every cause the runbook names, broken at once.
  function Break-All($m) {
    SimSetRaw $Tls12 'Enabled' 'DWord' 0
    SimSetRaw $RdpTcp 'UserAuthentication' 'DWord' 0
    SimSetRaw ($HKLM + 'SYSTEM\CurrentControlSet\Control\Terminal Server') 'fDenyTSConnections' 'DWord' 1
    $m.Certs[0].NotAfter = (Get-Date).AddDays(3)
    $m.Acl = @(@{ sid = 'S-1-5-32-544'; rights = 2032127; allow = $true })
    $m.Bcd['{bootmgr}'].bootems = 'No'
    $m.Fw['RemoteDesktop-UserMode-In-TCP'].enabled = $false
  }
}

Describe 'a healthy VM' {
  It 'enforce changes nothing, restarts nothing and reports every check ok' {
    $m = New-Machine
    $r = Invoke-OnSim $Enforce
    $r.Code | Should -Be 0
    $m.Mutations | Should -BeNullOrEmpty
    $m.Restarts | Should -BeNullOrEmpty
    $r.Summary.notOk | Should -BeNullOrEmpty
    $r.Summary.failed | Should -Be 0
    $r.Summary.rolledBack | Should -BeNullOrEmpty
  }

  It 'the default MachineKeys ACL of KB 278381 (no explicit SYSTEM or NETWORK SERVICE entry) is no drift (defect 6)' {
    $m = New-Machine
    $r = Invoke-OnSim $Enforce
    (Get-Result $r 'machinekeys-acl').result | Should -Be 'ok'
    Find-Call $m 'icacls.exe*' | Should -Be -1
    $m.Restarts | Should -Not -Contain 'TermService Restart'
  }

  It 'missing TLS 1.2 keys on Windows Server 2022 are the OS default: no change, no reboot (defect 7)' {
    $m = New-Machine
    $m.Reg.Remove($Tls12.ToLowerInvariant())
    $r = Invoke-OnSim $Enforce
    (Get-Result $r 'tls12-server-enabled').result | Should -Be 'ok'
    (Get-Result $r 'tls12-server-disabledbydefault').result | Should -Be 'ok'
    Find-Call $m 'Set-RegValue*TLS 1.2*' | Should -Be -1
    $r.Summary.rebootRequired | Should -BeFalse
  }

  It 'missing TLS 1.2 keys on a build before 9200 (TLS 1.2 off by default) are drift' {
    $m = New-Machine
    $m.Reg.Remove($Tls12.ToLowerInvariant())
    SimSetRaw ($HKLM + 'SOFTWARE\Microsoft\Windows NT\CurrentVersion') 'CurrentBuildNumber' 'String' '7601'
    $r = Invoke-OnSim $Audit
    (Get-Result $r 'tls12-server-enabled').result | Should -Be 'drift'
  }

  It 'bcdedit in another language (Japanese, Russian yes) is no drift' {
    $m = New-Machine
    $m.Bcd['{bootmgr}'].displaybootmenu = [string][char]0x306F + [char]0x3044
    $m.Bcd['{current}'].ems = [string][char]0x0434 + [char]0x0430
    $r = Invoke-OnSim $Enforce
    (Get-Result $r 'ems-bootmgr-displaybootmenu').result | Should -Be 'ok'
    (Get-Result $r 'ems-os').result | Should -Be 'ok'
    Find-Call $m 'bcdedit.exe /set*' | Should -Be -1
  }

  It 'never touches the Group Policy client (gpsvc) (defect 8)' {
    $m = New-Machine
    Break-All $m
    Invoke-OnSim $Enforce | Out-Null
    Find-Call $m '*gpsvc*' | Should -Be -1
  }
}

Describe 'a VM broken by <name>' -ForEach @(
  @{ name = 'TLS 1.2 disabled'; id = 'tls12-server-enabled'; break = { SimSetRaw $Tls12 'Enabled' 'DWord' 0 }
    backup = 'reg.exe export*TLS 1.2*'; change = 'Set-RegValue*TLS 1.2\Server\Enabled=1'; fixed = { (SimGetRaw $Tls12 'Enabled').value -eq 1 } }
  @{ name = 'NLA off'; id = 'nla-user-authentication'; break = { SimSetRaw $RdpTcp 'UserAuthentication' 'DWord' 0 }
    backup = 'reg.exe export*RDP-Tcp*'; change = 'Set-RegValue*UserAuthentication=1'; fixed = { (SimGetRaw $RdpTcp 'UserAuthentication').value -eq 1 } }
  @{ name = 'RDP denied (fDenyTSConnections=1)'; id = 'rdp-connections-allowed'
    break = { SimSetRaw ($HKLM + 'SYSTEM\CurrentControlSet\Control\Terminal Server') 'fDenyTSConnections' 'DWord' 1 }
    backup = 'reg.exe export*\Terminal Server *'; change = 'Set-RegValue*fDenyTSConnections=0'
    fixed = { (SimGetRaw ($HKLM + 'SYSTEM\CurrentControlSet\Control\Terminal Server') 'fDenyTSConnections').value -eq 0 } }
  @{ name = 'an expired certificate'; id = 'rdp-certificate:*'; break = { $SimM.Certs[0].NotAfter = (Get-Date).AddDays(-1) }
    backup = $null; change = 'Remove-Cert*'; fixed = { $SimM.Certs.Count -eq 1 -and $SimM.Certs[0].NotAfter -gt (Get-Date).AddDays(100) } }
  @{ name = 'a missing certificate'; id = 'rdp-certificate'; break = { $SimM.Certs.Clear() }
    backup = $null; change = 'Set-Svc SessionEnv Restart'; fixed = { $SimM.Certs.Count -eq 1 } }
  @{ name = 'MachineKeys ACLs without NETWORK SERVICE read'; id = 'machinekeys-acl'
    break = { $SimM.Acl = @(@{ sid = 'S-1-5-32-544'; rights = 2032127; allow = $true }, @{ sid = 'S-1-5-18'; rights = 2032127; allow = $true }) }
    backup = 'icacls.exe*/save*'; change = 'icacls.exe*/grant*'; fixed = { @($SimM.Acl | Where-Object { $_.sid -eq 'S-1-5-20' }).Count -eq 1 } }
  @{ name = 'an unreadable MachineKeys ACL'; id = 'machinekeys-acl'; break = { $SimM.AclUnreadable = $true }
    backup = 'icacls.exe*/save*'; change = 'icacls.exe*/grant*'; fixed = { -not $SimM.AclUnreadable } }
  @{ name = 'EMS off'; id = 'ems-bootmgr-bootems'; break = { $SimM.Bcd['{bootmgr}'].bootems = 'No' }
    backup = 'bcdedit.exe /export*'; change = 'bcdedit.exe /set {bootmgr} bootems yes'; fixed = { $SimM.Bcd['{bootmgr}'].bootems -eq 'Yes' } }
  @{ name = 'a disabled firewall rule'; id = 'firewall:RemoteDesktop-UserMode-In-TCP'; break = { $SimM.Fw['RemoteDesktop-UserMode-In-TCP'].enabled = $false }
    backup = 'netsh.exe advfirewall export*'; change = 'Set-Fw RemoteDesktop-UserMode-In-TCP*'; fixed = { $SimM.Fw['RemoteDesktop-UserMode-In-TCP'].enabled } }
  @{ name = 'a stopped TermService'; id = 'termservice'; break = { $SimM.Svc['TermService'].State = 'Stopped'; $SimM.Listen.Remove(1000) }
    backup = $null; change = 'Set-Svc TermService Restart'; fixed = { $SimM.Svc['TermService'].State -eq 'Running' -and $SimM.Listen[1000] -eq 3389 } }
) {
  BeforeAll {
    $m = New-Machine
    & $break
    $first = Invoke-OnSim $Enforce
    $firstCalls = @($m.Calls)
    $m.Calls.Clear(); $m.Mutations.Clear(); $m.Restarts.Clear()
    $second = Invoke-OnSim $Enforce
  }

  It 'enforce fixes it and reports it changed' {
    $first.Code | Should -Be 0
    & $fixed | Should -BeTrue
    @($first.Report.results | Where-Object { $_.id -like $id -and $_.result -eq 'changed' }).Count | Should -BeGreaterThan 0
    $first.Summary.notOk | Should -Contain (@($first.Report.results | Where-Object { $_.id -like $id })[0].id + '=changed')
    $first.Summary.rolledBack | Should -BeNullOrEmpty
    if ($id -notlike 'ems-*') { (Get-Result $first 'rdp-health').result | Should -Be 'ok' }
  }

  It 'backs it up before changing it' {
    $c = -1; for ($i = 0; $i -lt $firstCalls.Count; $i++) { if ($firstCalls[$i] -like $change) { $c = $i; break } }
    $c | Should -BeGreaterThan -1
    if ($backup) {
      $b = -1; for ($i = 0; $i -lt $firstCalls.Count; $i++) { if ($firstCalls[$i] -like $backup) { $b = $i; break } }
      $b | Should -BeGreaterThan -1
      $b | Should -BeLessThan $c
    }
    if ($name -eq 'an expired certificate') { @(Get-ChildItem -Path $first.Report.backup -Filter 'rdp-*.cer').Count | Should -Be 1 }
  }

  It 'a second run changes nothing and restarts no service' {
    $m.Mutations | Should -BeNullOrEmpty
    $m.Restarts | Should -BeNullOrEmpty
    $second.Summary.notOk | Should -BeNullOrEmpty
  }
}

Describe 'a port held by another process' {
  It 'a service alone in its process is stopped (stopConflictingService) and TermService restarted, not started (defect 3)' {
    $m = New-Machine
    $m.Svc['Intruder'] = @{ Name = 'Intruder'; State = 'Running'; ProcessId = 2000; StartMode = 'Auto' }
    $m.Procs[2000] = 'intruder'
    $m.Svc['TermService'].State = 'Stopped'; $m.Listen.Remove(1000); $m.Listen[2000] = 3389
    $r = Invoke-OnSim $Stop
    (Get-Result $r 'rdp-port-conflict').result | Should -Be 'changed'
    $m.Restarts | Should -Contain 'Intruder Stop'
    $m.Restarts | Should -Contain 'TermService Restart'
    $m.Restarts | Should -Not -Contain 'TermService Start'
    $m.Listen[1000] | Should -Be 3389
  }

  It 'a service sharing its svchost is not stopped, only reported (defect 3)' {
    $m = New-Machine
    foreach ($n in 'SharedA', 'SharedB') { $m.Svc[$n] = @{ Name = $n; State = 'Running'; ProcessId = 3000; StartMode = 'Auto' } }
    $m.Procs[3000] = 'svchost'
    $m.Listen.Remove(1000); $m.Listen[3000] = 3389
    $r = Invoke-OnSim $Stop
    (Get-Result $r 'rdp-port-conflict').result | Should -Be 'conflict'
    $m.Restarts | Should -Not -Contain 'SharedA Stop'
    $m.Restarts | Should -Not -Contain 'SharedB Stop'
    $m.Svc['SharedA'].State | Should -Be 'Running'
  }

  It 'without stopConflictingService the conflict is reported and nothing is stopped' {
    $m = New-Machine
    $m.Svc['Intruder'] = @{ Name = 'Intruder'; State = 'Running'; ProcessId = 2000; StartMode = 'Auto' }
    $m.Listen.Remove(1000); $m.Listen[2000] = 3389
    $r = Invoke-OnSim $Enforce
    (Get-Result $r 'rdp-port-conflict').result | Should -Be 'conflict'
    $m.Svc['Intruder'].State | Should -Be 'Running'
  }

  It 'RDP does not move onto a port another process holds (defect 10)' {
    $m = New-Machine
    $m.Svc['Intruder'] = @{ Name = 'Intruder'; State = 'Running'; ProcessId = 2000; StartMode = 'Auto' }
    $m.Listen[2000] = 3390
    $r = Invoke-OnSim $Port
    (Get-Result $r 'rdp-port-number').result | Should -Be 'failed'
    (SimGetRaw $RdpTcp 'PortNumber').value | Should -Be 3389
    Find-Call $m 'Set-RegValue*PortNumber*' | Should -Be -1
  }

  It 'moves RDP to a free port: registry, both firewall rules (one firewall export) and the listener (defect 10)' {
    $m = New-Machine
    $r = Invoke-OnSim $Port
    (SimGetRaw $RdpTcp 'PortNumber').value | Should -Be 3390
    $m.Fw['RemoteDesktop-UserMode-In-TCP'].port | Should -Be '3390'
    $m.Fw['RemoteDesktop-UserMode-In-UDP'].port | Should -Be '3390'
    @($m.Calls | Where-Object { $_ -like 'netsh.exe advfirewall export*' }).Count | Should -Be 1
    $m.Listen[1000] | Should -Be 3390
    (Get-Result $r 'rdp-health').result | Should -Be 'ok'
  }
}

Describe 'certificate renewal (defect 4)' {
  It 'does not remove anything when SessionEnv cannot start' {
    $m = New-Machine
    $m.Certs[0].NotAfter = (Get-Date).AddDays(2)
    $m.Svc['SessionEnv'].StartMode = 'Disabled'
    $r = Invoke-OnSim $Enforce
    (Get-Result $r 'rdp-certificate').result | Should -Be 'failed'
    Find-Call $m 'Remove-Cert*' | Should -Be -1
    $m.Certs.Count | Should -Be 1
  }

  It 'reports failed, not changed, when no new certificate appears, and puts the old one back' {
    $m = New-Machine
    $old = $m.Certs[0]
    $old.NotAfter = (Get-Date).AddDays(2)
    $m.NoCertRegen = $true
    $r = Invoke-OnSim $Enforce
    (Get-Result $r ('rdp-certificate:' + $old.Thumbprint)).result | Should -Be 'failed'
    $r.Summary.rolledBack.reason | Should -Match 'no certificate'
    $m.Certs | Should -Contain $old
  }

  It 'a key NETWORK SERVICE cannot read is renewed' {
    $m = New-Machine
    $m.Certs[0].KeyProblem = 'NETWORK SERVICE cannot read the key'
    $r = Invoke-OnSim $Enforce
    @($r.Report.results | Where-Object { $_.id -like 'rdp-certificate:*' -and $_.result -eq 'changed' }).Count | Should -Be 1
    $m.Certs[0].KeyProblem | Should -Be ''
  }

  It 'a CA-issued certificate is reported for the PKI, never removed' {
    $m = New-Machine
    $m.Certs[0] = New-SimCert 10 'CN=vm1' 'CN=Corp CA'
    $r = Invoke-OnSim $Enforce
    @($r.Report.results | Where-Object { $_.result -eq 'needs-pki' }).Count | Should -Be 1
    Find-Call $m 'Remove-Cert*' | Should -Be -1
  }
}

Describe 'audit' {
  It 'makes no mutating call at all on a VM broken every way, and reports the drift' {
    $m = New-Machine
    Break-All $m
    $m.Svc['TermService'].State = 'Stopped'
    $r = Invoke-OnSim $Audit
    $m.Mutations | Should -BeNullOrEmpty
    $m.Restarts | Should -BeNullOrEmpty
    $r.Code | Should -Be 0
    foreach ($id in 'tls12-server-enabled', 'nla-user-authentication', 'rdp-connections-allowed', 'machinekeys-acl', 'ems-bootmgr-bootems', 'termservice') {
      (Get-Result $r $id).result | Should -Be 'drift' -Because $id
    }
    Test-Path -LiteralPath (Join-Path $m.Root 'backup') | Should -BeFalse
  }
}

Describe 'the report' {
  It 'one failing step does not hide the others, and the script still exits 0' {
    $m = New-Machine
    Break-All $m
    $m.Fail['icacls.exe*/grant*'] = 5
    $r = Invoke-OnSim $Enforce
    $r.Code | Should -Be 0
    (Get-Result $r 'machinekeys-acl').result | Should -Be 'failed'
    (Get-Result $r 'nla-user-authentication').result | Should -Be 'changed'
    (Get-Result $r 'ems-bootmgr-bootems').result | Should -Be 'changed'
    $r.Summary.failed | Should -Be 1
  }

  It 'the last stdout line is JSON under 4 KB, even with many findings' {
    $m = New-Machine
    Break-All $m
    foreach ($i in 1..60) { [void]$m.Certs.Add((New-SimCert 5 "CN=old$i" 'CN=Corp CA')) }
    $r = Invoke-OnSim $Audit
    [Text.Encoding]::UTF8.GetByteCount($r.Last) | Should -BeLessThan 4096
    $r.Summary.tool | Should -Be 'azure-rdp-guard'
    $r.Summary.notOk.Count | Should -Be 40
    $r.Report.results.Count | Should -BeGreaterThan 60
  }

  It 'exits 1 with an error line only when the script itself cannot run' {
    $m = New-Machine
    $m.Root = Join-Path $TestDrive 'file-not-dir'
    Set-Content -LiteralPath $m.Root -Value 'x'
    $r = Invoke-OnSim $Audit
    $r.Code | Should -Be 1
    $r.Summary.error | Should -Not -BeNullOrEmpty
  }
}

Describe 'reboot' {
  It 'no reboot without allowReboot, even when a change needs one' {
    $m = New-Machine
    SimSetRaw $Tls12 'Enabled' 'DWord' 0
    $r = Invoke-OnSim $Enforce
    $r.Summary.rebootRequired | Should -BeTrue
    $r.Summary.rebootScheduled | Should -BeFalse
    Find-Call $m 'shutdown.exe*' | Should -Be -1
  }

  It 'with allowReboot a reboot is scheduled' {
    $m = New-Machine
    SimSetRaw $Tls12 'Enabled' 'DWord' 0
    $r = Invoke-OnSim $Reboot
    $r.Summary.rebootScheduled | Should -BeTrue
    $m.Shutdown | Should -Match '/r /t 120'
  }
}

Describe 'never lock the VM out' {
  It 'rolls back when RDP is unhealthy after the change: registry, firewall and restarts, and reports rolledBack' {
    $m = New-Machine
    $m.TermServiceBroken = $true
    $r = Invoke-OnSim $Port
    $r.Summary.rolledBack.reason | Should -Match 'TermService not listening'
    (SimGetRaw $RdpTcp 'PortNumber').value | Should -Be 3389
    $m.Fw['RemoteDesktop-UserMode-In-TCP'].port | Should -Be '3389'
    $m.Fw['RemoteDesktop-UserMode-In-UDP'].port | Should -Be '3389'
    (Get-Result $r 'rdp-port-number').result | Should -Be 'rolled-back'
    (Get-Result $r 'rdp-health').result | Should -Be 'failed'
    @($m.Restarts | Where-Object { $_ -eq 'TermService Restart' }).Count | Should -Be 2
    $r.Summary.rebootRequired | Should -BeFalse
    $r.Code | Should -Be 0
  }

  It 'rolls back the MachineKeys ACL from its icacls /save backup' {
    $m = New-Machine
    $m.Acl = @(@{ sid = 'S-1-5-32-544'; rights = 2032127; allow = $true })
    $m.TermServiceBroken = $true
    $r = Invoke-OnSim $Enforce
    $r.Summary.rolledBack | Should -Not -BeNullOrEmpty
    Find-Call $m 'icacls.exe*/restore*' | Should -BeGreaterThan -1
    @($m.Acl).Count | Should -Be 1
  }

  It 'keeps the changes when RDP is healthy' {
    $m = New-Machine
    $r = Invoke-OnSim $Port
    $r.Summary.rolledBack | Should -BeNullOrEmpty
    (Get-Result $r 'rdp-health').result | Should -Be 'ok'
    Find-Call $m 'Add-Cert*' | Should -Be -1
  }
}

Describe 'the plain script of the Run Command delivery (comments and indentation kept)' {
  It 'fixes a broken VM, then a second run changes nothing' {
    $m = New-Machine
    Break-All $m
    $r = Invoke-OnSim $Plain
    $r.Code | Should -Be 0
    $r.Summary.failed | Should -Be 0
    (Get-Result $r 'tls12-server-enabled').result | Should -Be 'changed'
    (Get-Content -LiteralPath $Plain -Raw) | Should -Match '#region seam'
    $m.Mutations.Clear()
    $r2 = Invoke-OnSim $Plain
    $m.Mutations | Should -BeNullOrEmpty
    $r2.Summary.notOk | Should -BeNullOrEmpty
  }
}
